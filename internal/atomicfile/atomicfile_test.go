package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var errInjected = errors.New("injected fault")

// listDir returns the names and contents of the regular files in dir.
func listDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func TestWriteFileReplaces(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "state")
	for _, content := range []string{"first", "second, longer than the first", ""} {
		if err := WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatalf("WriteFile(%q): %v", content, err)
		}
		if diff := cmp.Diff(map[string]string{"state": content}, listDir(t, dir)); diff != "" {
			t.Errorf("directory after writing %q (-want +got):\n%s", content, diff)
		}
	}
}

func TestWriteFilePerm(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits are not kept on windows")
	}
	dir := t.TempDir()
	for _, perm := range []fs.FileMode{0o600, 0o640, 0o644} {
		name := filepath.Join(dir, perm.String())
		if err := WriteFile(name, []byte("x"), perm); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != perm {
			t.Errorf("perm of %s = %v, want %v", name, got, perm)
		}
	}
}

// TestFaultAtEachStep fails every step in turn, once over an existing file and once where the target does
// not exist yet. A failed write must return an *Error naming the step, leave the old contents (or
// nothing) under the name, and leave no temporary file behind. Failing StepSyncDir is the one case
// where the rename already happened.
func TestFaultAtEachStep(t *testing.T) {
	for _, existing := range []bool{true, false} {
		for _, step := range Steps {
			name := step.String()
			if !existing {
				name += "/new"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				target := filepath.Join(dir, "state")
				want := map[string]string{}
				if existing {
					if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
						t.Fatal(err)
					}
					want["state"] = "old"
				}
				var seen []Step
				w := Writer{Fault: func(s Step, path string) error {
					seen = append(seen, s)
					if s == step {
						return errInjected
					}
					return nil
				}}
				err := w.WriteFile(target, []byte("new"), 0o600)
				var ae *Error
				if !errors.As(err, &ae) || ae.Step != step || !errors.Is(err, errInjected) || ae.Name != target {
					t.Fatalf("WriteFile error = %v, want *Error at step %v wrapping the fault", err, step)
				}
				if step == StepSyncDir {
					want["state"] = "new"
				}
				if diff := cmp.Diff(want, listDir(t, dir)); diff != "" {
					t.Errorf("directory after fault at %v (-want +got):\n%s", step, diff)
				}
				if diff := cmp.Diff(Steps[:int(step)+1], seen); diff != "" {
					t.Errorf("steps run (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestCrashAtEachStep copies the directory at the moment before each step, which is exactly what a
// crash (power cut after the preceding step completed) leaves. In every copy the target must hold the
// old or the new contents in full; temporary files may be left and RemoveTemps clears them.
func TestCrashAtEachStep(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "state")
	if err := os.WriteFile(target, []byte("old contents"), 0o600); err != nil {
		t.Fatal(err)
	}
	var snapshots []map[string]string
	w := Writer{Fault: func(s Step, path string) error {
		snapshots = append(snapshots, listDir(t, dir))
		return nil
	}}
	if err := w.WriteFile(target, []byte("new contents"), 0o600); err != nil {
		t.Fatal(err)
	}
	snapshots = append(snapshots, listDir(t, dir))
	if len(snapshots) != len(Steps)+1 {
		t.Fatalf("got %d snapshots, want %d", len(snapshots), len(Steps)+1)
	}
	for i, snap := range snapshots {
		got := snap["state"]
		if got != "old contents" && got != "new contents" {
			t.Errorf("crash before step %d: target holds %q, want the old or the new contents", i, got)
		}
		for n := range snap {
			if n != "state" && !IsTemp(n, "state") {
				t.Errorf("crash before step %d: unexpected file %q", i, n)
			}
		}
	}
	if got := snapshots[len(snapshots)-1]; len(got) != 1 || got["state"] != "new contents" {
		t.Errorf("after the write the directory holds %v, want only the new target", got)
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"state":                 "keep: the target",
		".state.tmp-123":        "remove: a leftover temp of state",
		".state.tmp-":           "keep: no random suffix, not one of ours",
		".other.tmp-123":        "keep: a temp of another target",
		"state.tmp-123":         "keep: not hidden",
		".state.tmp-456.backup": "keep: the suffix WriteFile writes is decimal digits only",
		".state.tmp-45x":        "keep: not digits",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveTemps(filepath.Join(dir, "state")); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for n, c := range files {
		if c[:4] == "keep" {
			want = append(want, n)
		}
	}
	for n := range listDir(t, dir) {
		got = append(got, n)
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files left (-want +got):\n%s", diff)
	}
	if err := RemoveTemps(filepath.Join(dir, "missing", "state")); err != nil {
		t.Errorf("RemoveTemps in a missing directory: %v, want nil", err)
	}
}

// TestRemoveTempsDir: given a directory, the temporaries of every target go and nothing else does.
func TestRemoveTempsDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.lic":           "keep",
		".a.lic.tmp-123":  "remove",
		".b.state.tmp-99": "remove",
		".tmp-123":        "keep: no target name",
		"..tmp-1":         "keep: empty target name",
		".hidden":         "keep",
		"x.tmp-123":       "keep: not hidden",
		".c.tmp-12a":      "keep: not digits",
		".d.tmp-1.tmp-2":  "remove: target named d.tmp-1",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveTemps(dir); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for n, c := range files {
		if c[:4] == "keep" {
			want = append(want, n)
		}
	}
	for n := range listDir(t, dir) {
		got = append(got, n)
	}
	sort.Strings(want)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files left (-want +got):\n%s", diff)
	}
}

func TestWriteFileMissingDir(t *testing.T) {
	err := WriteFile(filepath.Join(t.TempDir(), "missing", "state"), []byte("x"), 0o600)
	var ae *Error
	if !errors.As(err, &ae) || ae.Step != StepCreate || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFile into a missing directory = %v, want *Error at create wrapping fs.ErrNotExist", err)
	}
}

func TestStepString(t *testing.T) {
	for _, s := range Steps {
		if s.String() == "" || s.String()[:4] == "step" {
			t.Errorf("Step(%d) has no name", int(s))
		}
	}
	if got := Step(99).String(); got != "step(99)" {
		t.Errorf("Step(99).String() = %q", got)
	}
}
