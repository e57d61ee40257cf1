package results

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// EventFilePrefix starts the name of every TensorBoard event file:
// events.out.tfevents.<unix seconds>.<host>.
const EventFilePrefix = "events.out.tfevents."

// EventFileVersion is the file_version of the first event of a file, what
// TensorBoard expects of a file of Event protos.
const EventFileVersion = "brain.Event:2"

// Field numbers of tensorflow.Event, tensorflow.Summary and
// tensorflow.Summary.Value (tensorflow/core/util/event.proto and
// tensorflow/core/framework/summary.proto).
const (
	eventWallTime    protowire.Number = 1 // double
	eventStep        protowire.Number = 2 // int64
	eventFileVersion protowire.Number = 3 // string
	eventSummary     protowire.Number = 5 // Summary
	summaryValue     protowire.Number = 1 // repeated Summary.Value
	valueTag         protowire.Number = 1 // string
	valueSimpleValue protowire.Number = 2 // float
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC is TFRecord's checksum of b: the CRC-32C rotated right by 15
// bits plus 0xa282ead8.
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// AppendRecord appends data to dst in TFRecord framing: the length as a
// little-endian uint64, the masked CRC of those 8 bytes, data, the masked
// CRC of data (CRCs little-endian uint32).
func AppendRecord(dst, data []byte) []byte {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(data)))
	dst = append(dst, n[:]...)
	dst = binary.LittleEndian.AppendUint32(dst, MaskedCRC(n[:]))
	dst = append(dst, data...)
	return binary.LittleEndian.AppendUint32(dst, MaskedCRC(data))
}

// FileVersionEvent encodes Event{wall_time, file_version: version}.
func FileVersionEvent(wall float64, version string) []byte {
	b := appendWallStep(nil, wall, 0)
	b = protowire.AppendTag(b, eventFileVersion, protowire.BytesType)
	return protowire.AppendString(b, version)
}

// ScalarEvent encodes Event{wall_time, step, summary{value{tag,
// simple_value}…}} with one value per tag, in the order of tags; the values
// are stored as float32, TensorBoard's simple_value.
func ScalarEvent(wall float64, step int64, tags []string, values []float64) []byte {
	if len(tags) != len(values) {
		panic(fmt.Sprintf("results: scalar event: %d tags, %d values", len(tags), len(values)))
	}
	var sum []byte
	for i, t := range tags {
		var v []byte
		v = protowire.AppendTag(v, valueTag, protowire.BytesType)
		v = protowire.AppendString(v, t)
		v = protowire.AppendTag(v, valueSimpleValue, protowire.Fixed32Type)
		v = protowire.AppendFixed32(v, math.Float32bits(float32(values[i])))
		sum = protowire.AppendTag(sum, summaryValue, protowire.BytesType)
		sum = protowire.AppendBytes(sum, v)
	}
	b := appendWallStep(nil, wall, step)
	b = protowire.AppendTag(b, eventSummary, protowire.BytesType)
	return protowire.AppendBytes(b, sum)
}

// appendWallStep writes wall_time and step, leaving out zeros as proto3
// encoders do.
func appendWallStep(b []byte, wall float64, step int64) []byte {
	if wall != 0 {
		b = protowire.AppendTag(b, eventWallTime, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(wall))
	}
	if step != 0 {
		b = protowire.AppendTag(b, eventStep, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(step))
	}
	return b
}

// EventWriter appends scalar events to one TensorBoard event file, so
// `tensorboard --logdir runs` (and `wandb sync`) read a task's training
// scalars. It is not safe for concurrent use; Dir serialises its calls.
type EventWriter struct {
	f    *os.File
	path string
}

// NewEventWriter creates (or, when it already exists, appends to) the event
// file dir/events.out.tfevents.<unix seconds of now>.<host> and, for a new
// file, writes the file_version event first.
func NewEventWriter(dir string, now time.Time) (*EventWriter, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	host = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r <= ' ' {
			return '_'
		}
		return r
	}, host)
	path := filepath.Join(dir, fmt.Sprintf("%s%d.%s", EventFilePrefix, now.Unix(), host))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("results: event file: %w", err)
	}
	w := &EventWriter{f: f, path: path}
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		if _, err := f.Write(AppendRecord(nil, FileVersionEvent(wallTime(now), EventFileVersion))); err != nil {
			f.Close()
			return nil, fmt.Errorf("results: event file: %w", err)
		}
	}
	return w, nil
}

// Path returns the event file's path.
func (w *EventWriter) Path() string { return w.path }

// Scalars writes one event at step holding values, tags in sorted order.
// Each event goes out in one write, so a crash loses at most the record in
// flight (which readers see as a truncated last record).
func (w *EventWriter) Scalars(now time.Time, step int64, values map[string]float64) error {
	if len(values) == 0 {
		return nil
	}
	tags := sortedKeys(values)
	vs := make([]float64, len(tags))
	for i, t := range tags {
		vs[i] = values[t]
	}
	if _, err := w.f.Write(AppendRecord(nil, ScalarEvent(wallTime(now), step, tags, vs))); err != nil {
		return fmt.Errorf("results: event file: %w", err)
	}
	return nil
}

// Close syncs and closes the file.
func (w *EventWriter) Close() error {
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("results: event file: %w", err)
	}
	return nil
}

func wallTime(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
