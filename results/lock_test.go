package results

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastLocks shortens the lock timings for a test.
func fastLocks(t *testing.T) {
	t.Helper()
	hb, st, po := LockHeartbeat, LockStale, LockPoll
	LockHeartbeat, LockStale, LockPoll = 50*time.Millisecond, 2*time.Second, 10*time.Millisecond
	t.Cleanup(func() { LockHeartbeat, LockStale, LockPoll = hb, st, po })
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	return cmd.Process.Pid
}

func writeLock(t *testing.T, dir string, l LockInfo, age time.Duration) {
	t.Helper()
	b, _ := json.Marshal(l)
	p := filepath.Join(dir, LockFile)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-age)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
}

func readHolder(t *testing.T, dir string) LockInfo {
	t.Helper()
	l, _, _, err := readLock(filepath.Join(dir, LockFile))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLockExclusiveAndRelease(t *testing.T) {
	fastLocks(t)
	dir := filepath.Join(t.TempDir(), "task")
	l, err := AcquireLock(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := readHolder(t, dir)
	host, _ := os.Hostname()
	if h.PID != os.Getpid() || h.Host != host || time.Since(h.Start) > time.Minute {
		t.Fatalf("lock holds %+v", h)
	}
	if got, ok := LockHolder(dir); !ok || !got.same(h) {
		t.Fatalf("LockHolder = %+v, %v", got, ok)
	}
	// a second taker waits (our own pid is alive), and says so once
	var told atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err = AcquireLock(ctx, dir, func(holder LockInfo) {
		told.Add(1)
		if !holder.same(h) {
			t.Errorf("waiting for %+v, want %+v", holder, h)
		}
	})
	if !errors.Is(err, context.DeadlineExceeded) || told.Load() != 1 {
		t.Fatalf("second AcquireLock: %v, told %d times", err, told.Load())
	}
	// the heartbeat keeps the lock fresh beyond LockStale
	time.Sleep(100 * time.Millisecond)
	if st, _ := os.Stat(filepath.Join(dir, LockFile)); time.Since(st.ModTime()) > 75*time.Millisecond {
		t.Errorf("lock not refreshed: modified %v ago", time.Since(st.ModTime()))
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, LockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock file after Release: %v", err)
	}
	if _, ok := LockHolder(dir); ok {
		t.Fatal("LockHolder after Release")
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
}

func TestLockStaleTakeover(t *testing.T) {
	fastLocks(t)
	host, _ := os.Hostname()
	for _, tc := range []struct {
		name  string
		info  LockInfo
		age   time.Duration
		stale bool
	}{
		{"dead pid, this host", LockInfo{Host: host, PID: deadPID(t), Start: time.Now()}, 0, true},
		{"live pid, this host", LockInfo{Host: host, PID: os.Getpid(), Start: time.Now()}, 0, false},
		{"other host, fresh", LockInfo{Host: host + "-elsewhere", PID: 1, Start: time.Now()}, 0, false},
		{"other host, not refreshed", LockInfo{Host: host + "-elsewhere", PID: 1, Start: time.Now()}, 3 * time.Second, true},
		{"live pid, not refreshed", LockInfo{Host: host, PID: os.Getpid(), Start: time.Now()}, 3 * time.Second, true},
		{"our pid, before we started", LockInfo{Host: host, PID: os.Getpid(), Start: processStart.Add(-time.Hour)}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeLock(t, dir, tc.info, tc.age)
			if _, ok := LockHolder(dir); ok == tc.stale {
				t.Errorf("LockHolder ok = %v, want %v", ok, !tc.stale)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			l, err := AcquireLock(ctx, dir, nil)
			if !tc.stale {
				if err == nil {
					t.Fatal("took a live lock")
				}
				if h := readHolder(t, dir); !h.same(tc.info) {
					t.Fatalf("the live lock was changed to %+v", h)
				}
				return
			}
			if err != nil {
				t.Fatalf("stale lock not taken over: %v", err)
			}
			if h := readHolder(t, dir); h.PID != os.Getpid() {
				t.Fatalf("holder after takeover %+v", h)
			}
			l.Release()
		})
	}
}

// TestLockTakeoverRace: many takers find the same stale lock at once; they
// must hold the lock one at a time, and each gets it in the end.
func TestLockTakeoverRace(t *testing.T) {
	fastLocks(t)
	host, _ := os.Hostname()
	dead := deadPID(t)
	for range 20 {
		takeoverRace(t, t.TempDir(), LockInfo{Host: host, PID: dead, Start: time.Now()})
	}
}

func takeoverRace(t *testing.T, dir string, stale LockInfo) {
	writeLock(t, dir, stale, 0)
	var inside, most, got atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			l, err := AcquireLock(context.Background(), dir, nil)
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			inside.Add(-1)
			got.Add(1)
			if err := l.Release(); err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if most.Load() != 1 || got.Load() != 8 {
		t.Fatalf("%d holders at once (want 1), %d of 8 got the lock", most.Load(), got.Load())
	}
}

// TestReleaseLeavesTakenOverLock: a holder declared stale and taken over
// does not remove its successor's lock when it releases.
func TestReleaseLeavesTakenOverLock(t *testing.T) {
	fastLocks(t)
	dir := t.TempDir()
	l, err := AcquireLock(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := LockInfo{Host: "elsewhere", PID: 42, Start: time.Now()}
	writeLock(t, dir, other, 0)
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if h := readHolder(t, dir); !h.same(other) {
		t.Fatalf("Release removed or changed the successor's lock: %+v", h)
	}
}

// TestClearKeepsLock: -force clears a task directory under its lock; the
// lock file stays.
func TestClearKeepsLock(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root, "exp", map[string]int{"a": 1})
	if err != nil {
		t.Fatal(err)
	}
	l, err := AcquireLock(context.Background(), d.Dir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if err := os.WriteFile(d.Path("checkpoint.bin"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path(LockFile)); err != nil {
		t.Fatalf("Clear removed the lock: %v", err)
	}
	if _, err := os.Stat(d.Path("checkpoint.bin")); err == nil {
		t.Fatal("Clear kept the checkpoint")
	}
}
