package results

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// TestEventPublishedRecord checks the encoder and the checksum against a
// record taken from a real TensorFlow event file, quoted in TensorBoard's
// own tests (tensorboard/data/server/masked_crc.rs):
// Event(file_version=b"CRC test, one two") encodes as
// "\x1a\x11CRC test, one two" with masked CRC-32C 0x5794d08a; and the
// CRC-32C itself against RFC 3720 §B.4 (32 zero bytes → 0x8a9136aa).
func TestEventPublishedRecord(t *testing.T) {
	ev := FileVersionEvent(0, "CRC test, one two")
	if want := "\x1a\x11CRC test, one two"; string(ev) != want {
		t.Fatalf("encoded %q, want %q", ev, want)
	}
	if got := MaskedCRC(ev); got != 0x5794d08a {
		t.Errorf("masked CRC %#08x, want 0x5794d08a", got)
	}
	if got := bitwiseMaskedCRC(ev); got != 0x5794d08a {
		t.Errorf("the test decoder's CRC %#08x, want 0x5794d08a", got)
	}
	zeros := uint32(0x8a9136aa)
	if got, want := MaskedCRC(make([]byte, 32)), (zeros>>15|zeros<<17)+0xa282ead8; got != want {
		t.Errorf("masked CRC of 32 zeros %#08x, want %#08x", got, want)
	}
}

// eventDescriptor builds tensorflow.Event, Summary and Summary.Value from
// their .proto field lists, so the test decodes with protobuf's reflective
// decoder rather than the writer's protowire code.
func eventDescriptor(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	f := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, label descriptorpb.FieldDescriptorProto_Label, msg string) *descriptorpb.FieldDescriptorProto {
		d := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Type: typ.Enum(), Label: label.Enum(), JsonName: proto.String(name)}
		if msg != "" {
			d.TypeName = proto.String(msg)
		}
		return d
	}
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	rep := descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	fd := &descriptorpb.FileDescriptorProto{
		Name: proto.String("event_test.proto"), Package: proto.String("tensorflow"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("Event"), Field: []*descriptorpb.FieldDescriptorProto{
				f("wall_time", 1, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, opt, ""),
				f("step", 2, descriptorpb.FieldDescriptorProto_TYPE_INT64, opt, ""),
				f("file_version", 3, descriptorpb.FieldDescriptorProto_TYPE_STRING, opt, ""),
				f("summary", 5, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, opt, ".tensorflow.Summary"),
			}},
			{Name: proto.String("Summary"), Field: []*descriptorpb.FieldDescriptorProto{
				f("value", 1, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, rep, ".tensorflow.Summary.Value"),
			}, NestedType: []*descriptorpb.DescriptorProto{
				{Name: proto.String("Value"), Field: []*descriptorpb.FieldDescriptorProto{
					f("tag", 1, descriptorpb.FieldDescriptorProto_TYPE_STRING, opt, ""),
					f("simple_value", 2, descriptorpb.FieldDescriptorProto_TYPE_FLOAT, opt, ""),
				}},
			}},
		},
	}
	file, err := protodesc.NewFile(fd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return file.Messages().ByName("Event")
}

// bitwiseMaskedCRC is MaskedCRC computed one bit at a time over the
// reflected Castagnoli polynomial: the test decoder's own checksum.
func bitwiseMaskedCRC(p []byte) uint32 {
	c := ^uint32(0)
	for _, x := range p {
		c ^= uint32(x)
		for k := 0; k < 8; k++ {
			if c&1 == 1 {
				c = c>>1 ^ 0x82f63b78
			} else {
				c >>= 1
			}
		}
	}
	c = ^c
	return (c>>15 | c<<17) + 0xa282ead8
}

// readEvents reads a TFRecord file with its own framing code and a
// bit-by-bit CRC-32C (not hash/crc32's tables), checking both checksums of
// every record, and decodes each record as a dynamic Event.
func readEvents(t *testing.T, path string, md protoreflect.MessageDescriptor) []*dynamicpb.Message {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crc := bitwiseMaskedCRC
	var out []*dynamicpb.Message
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("%s: %d trailing bytes", path, len(b))
		}
		n := binary.LittleEndian.Uint64(b)
		if got := binary.LittleEndian.Uint32(b[8:]); got != crc(b[:8]) {
			t.Fatalf("record %d: length CRC %#x, want %#x", len(out), got, crc(b[:8]))
		}
		if uint64(len(b)) < 16+n {
			t.Fatalf("record %d: truncated", len(out))
		}
		data := b[12 : 12+n]
		if got := binary.LittleEndian.Uint32(b[12+n:]); got != crc(data) {
			t.Fatalf("record %d: data CRC %#x, want %#x", len(out), got, crc(data))
		}
		m := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(data, m); err != nil {
			t.Fatalf("record %d: %v", len(out), err)
		}
		out = append(out, m)
		b = b[16+n:]
	}
	return out
}

// TestEventFileReadBack: a task directory's Record and WriteResult calls
// come back, every scalar at its step, from the event file; the first event
// is the file version, and a corrupted byte is caught by the CRC.
func TestEventFileReadBack(t *testing.T) {
	d, err := Open(t.TempDir(), "exp", map[string]int{"D": 4})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{} // "tag@step" → value
	for step := 50; step <= 200; step += 50 {
		v := map[string]float64{"loss": 1 / float64(step), "lr": 1e-3 * float64(step) / 200}
		if step == 200 {
			v["fid_lenet_eval"] = 12.5
		}
		if err := d.RecordValues(step, v); err != nil {
			t.Fatal(err)
		}
		for k, x := range v {
			want[fmt.Sprintf("%s@%d", k, step)] = x
		}
	}
	if err := d.WriteResult(map[string]float64{"sw1": 0.031, "final_loss": 0.005}); err != nil {
		t.Fatal(err)
	}
	want["result/sw1@200"], want["result/final_loss@200"] = 0.031, 0.005
	files, _ := filepath.Glob(d.Path(EventFilePrefix + "*"))
	if len(files) != 1 {
		t.Fatalf("event files %v, want one", files)
	}
	if !regexp.MustCompile(`^events\.out\.tfevents\.\d{10}\.[^/]+$`).MatchString(filepath.Base(files[0])) {
		t.Errorf("event file name %s: want events.out.tfevents.<unix>.<host>", filepath.Base(files[0]))
	}
	md := eventDescriptor(t)
	evs := readEvents(t, files[0], md)
	fields := md.Fields()
	if v := evs[0].Get(fields.ByName("file_version")).String(); v != EventFileVersion {
		t.Fatalf("first event file_version %q", v)
	}
	got := map[string]float64{}
	for _, e := range evs[1:] {
		if e.Get(fields.ByName("wall_time")).Float() < 1e9 {
			t.Errorf("wall_time %v", e.Get(fields.ByName("wall_time")))
		}
		step := e.Get(fields.ByName("step")).Int()
		vals := e.Get(fields.ByName("summary")).Message().Get(fields.ByName("summary").Message().Fields().ByName("value")).List()
		for i := 0; i < vals.Len(); i++ {
			v := vals.Get(i).Message()
			vf := v.Descriptor().Fields()
			got[fmt.Sprintf("%s@%d", v.Get(vf.ByName("tag")).String(), step)] = v.Get(vf.ByName("simple_value")).Float()
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d scalars read back, want %d: %v", len(got), len(want), got)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-7*math.Abs(w) {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, w)
		}
	}

	// One flipped bit in the last record's payload fails its data CRC.
	b, _ := os.ReadFile(files[0])
	b[len(b)-6] ^= 1
	last := lastRecord(b)
	if MaskedCRC(last.data) == last.crc {
		t.Error("a corrupted record still passes its CRC")
	}
}

type record struct {
	data []byte
	crc  uint32
}

// lastRecord walks the framing of b and returns the last record.
func lastRecord(b []byte) record {
	var r record
	for len(b) >= 16 {
		n := binary.LittleEndian.Uint64(b)
		r = record{data: b[12 : 12+n], crc: binary.LittleEndian.Uint32(b[12+n:])}
		b = b[16+n:]
	}
	return r
}
