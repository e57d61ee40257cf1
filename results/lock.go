package results

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// LockFile, in a task directory, marks the task as taken by one process:
// it holds that process's LockInfo. See AcquireLock.
const LockFile = "lock"

// Lock timing. A holder refreshes its lock file's modification time every
// LockHeartbeat; a lock not refreshed for LockStale is taken over whoever
// holds it (its process, on whatever host, is gone or hung). They are
// variables so that tests can shorten them.
var (
	LockHeartbeat = time.Minute
	LockStale     = 10 * time.Minute
	LockPoll      = time.Second // how often a waiter looks again
)

// LockInfo is the content of a lock file: who holds the task.
type LockInfo struct {
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Start time.Time `json:"start"`
}

func (l LockInfo) String() string {
	return fmt.Sprintf("host %s pid %d since %s", l.Host, l.PID, l.Start.UTC().Format(time.RFC3339))
}

// same reports whether l and o name the same holder.
func (l LockInfo) same(o LockInfo) bool {
	return l.Host == o.Host && l.PID == o.PID && l.Start.Equal(o.Start)
}

// Lock is a held task lock; Release gives it back.
type Lock struct {
	path string
	info LockInfo
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// AcquireLock takes the exclusive lock of the task directory dir (created
// if needed): the file dir/LockFile, created with O_EXCL so that of two
// processes only one succeeds, on a local or a shared (NFS) file system
// alike. It holds this process's host, pid and start time.
//
// A lock found in place is stale, and taken over, when its process is dead
// on this host (same host name, no such pid, or this process's pid written
// before this process started) or when it has not been refreshed for
// LockStale (a holder refreshes it every LockHeartbeat). A
// live lock is waited for, polling every LockPoll; waiting is called once
// with the holder when the wait begins. A cancelled ctx ends the wait with
// ctx's error.
func AcquireLock(ctx context.Context, dir string, waiting func(holder LockInfo)) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("results: lock: %w", err)
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	me := LockInfo{Host: host, PID: os.Getpid(), Start: time.Now().UTC().Truncate(time.Millisecond)}
	path := filepath.Join(dir, LockFile)
	told := false
	for {
		ok, err := createLock(path, me)
		if err != nil {
			return nil, err
		}
		if ok {
			l := &Lock{path: path, info: me, stop: make(chan struct{})}
			l.wg.Add(1)
			go l.heartbeat()
			return l, nil
		}
		holder, raw, mtime, err := readLock(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // released between our create and our read: try again
		case err != nil:
			// a torn or foreign file: stale if old, else give its writer time
			if time.Since(mtime) > LockStale {
				if err := breakLock(path, raw); err != nil {
					return nil, err
				}
				continue
			}
		case stale(holder, host, mtime):
			if err := breakLock(path, raw); err != nil {
				return nil, err
			}
			continue
		default:
			if !told && waiting != nil {
				waiting(holder)
			}
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("results: waiting for the lock %s: %w", path, ctx.Err())
		case <-time.After(LockPoll):
		}
	}
}

// createLock creates path exclusively with info in it; ok is false when
// the file exists already.
func createLock(path string, info LockInfo) (ok bool, err error) {
	b, err := json.Marshal(info)
	if err != nil {
		return false, fmt.Errorf("results: lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("results: lock: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return false, fmt.Errorf("results: lock: %w", err)
	}
	return true, nil
}

// readLock reads a lock file: its holder, its raw bytes and its
// modification time (zero when it cannot be read).
func readLock(path string) (LockInfo, []byte, time.Time, error) {
	var l LockInfo
	st, err := os.Stat(path)
	if err != nil {
		return l, nil, time.Time{}, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return l, nil, st.ModTime(), err
	}
	if err := json.Unmarshal(b, &l); err != nil || l.PID <= 0 {
		return l, b, st.ModTime(), fmt.Errorf("results: lock %s: not a lock file", path)
	}
	return l, b, st.ModTime(), nil
}

// processStart is when this process started (near enough: when the
// package was initialised).
var processStart = time.Now()

// stale reports whether holder's lock, last refreshed at mtime, may be
// taken over by a process on host. A lock with this process's own pid
// taken before this process started is stale: an earlier incarnation with
// the same pid wrote it (a restarted container runs as pid 1 again).
func stale(holder LockInfo, host string, mtime time.Time) bool {
	if time.Since(mtime) > LockStale {
		return true
	}
	if holder.Host != host {
		return false
	}
	if holder.PID == os.Getpid() {
		return holder.Start.Before(processStart.Add(-time.Second))
	}
	return !processAlive(holder.PID)
}

// processAlive reports whether a process with this pid exists on this
// host (one of another user counts as alive).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// breakLock removes the stale lock file path if it still holds raw. Two
// processes may find the same stale lock; a second lock file, path.break,
// taken with O_EXCL, makes sure that the one that comes second does not
// remove the fresh lock the first has meanwhile created. A break file left
// by a process that died in the few microseconds it holds one is removed
// after LockPoll×10.
func breakLock(path string, raw []byte) error {
	brk := path + ".break"
	f, err := os.OpenFile(brk, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		if st, err := os.Stat(brk); err == nil && time.Since(st.ModTime()) > 10*LockPoll {
			os.Remove(brk)
		}
		time.Sleep(LockPoll / 10)
		return nil // the caller looks again
	}
	if err != nil {
		return fmt.Errorf("results: lock: %w", err)
	}
	f.Close()
	defer os.Remove(brk)
	now, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil && bytes.Equal(now, raw) {
		err = os.Remove(path)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("results: lock: take over %s: %w", path, err)
	}
	return nil
}

// heartbeat refreshes the lock file's modification time until Release.
func (l *Lock) heartbeat() {
	defer l.wg.Done()
	t := time.NewTicker(LockHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			now := time.Now()
			_ = os.Chtimes(l.path, now, now)
		}
	}
}

// Info returns the holder recorded in the lock file: this process.
func (l *Lock) Info() LockInfo { return l.info }

// Release stops the heartbeat and removes the lock file, unless another
// process has taken it over meanwhile (then it is left to that process).
// It is idempotent.
func (l *Lock) Release() error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		l.wg.Wait()
		holder, _, _, rerr := readLock(l.path)
		if rerr != nil || !holder.same(l.info) {
			return
		}
		if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = fmt.Errorf("results: unlock: %w", rerr)
		}
	})
	return err
}

// LockHolder returns the holder of the lock of the task directory dir; ok
// is false when there is no lock, or only a stale one.
func LockHolder(dir string) (holder LockInfo, ok bool) {
	holder, _, mtime, err := readLock(filepath.Join(dir, LockFile))
	if err != nil {
		return holder, false
	}
	host, _ := os.Hostname()
	return holder, !stale(holder, host, mtime)
}
