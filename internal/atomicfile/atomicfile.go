// Package atomicfile replaces a file's contents so that a crash at any moment leaves either the old
// contents or the new ones under the file's name, never a mix, a truncation or nothing. Replace a
// file with [WriteFile], and at start-up remove what a crash in the middle of one left with
// [RemoveTemps]:
//
//	if err := atomicfile.WriteFile(name, data, 0o600); err != nil {
//		return err // an *atomicfile.Error names the step that failed
//	}
//	if err := atomicfile.RemoveTemps(dir); err != nil { // at start-up: what an interrupted write left
//		return err
//	}
//
// [WriteFile] writes the data to a temporary file in the same directory, flushes it to stable storage
// (fsync), closes it, renames it over the target and finally flushes the directory so the rename itself
// survives a power cut. Readers that open the target by name see one complete version or the other.
//
// Tests inject a fault before any step with [Writer.Fault]; production code calls [WriteFile]. The
// package's Example does both.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Step names one step of an atomic write, in the order they run.
type Step int

// The steps of [Writer.WriteFile], in order.
const (
	StepCreate  Step = iota // create the temporary file beside the target
	StepWrite               // write the data to the temporary file
	StepChmod               // set the permission bits on the temporary file
	StepSync                // fsync the temporary file (data and permission bits)
	StepClose               // close the temporary file
	StepRename              // rename the temporary file over the target
	StepSyncDir             // fsync the directory that holds the target
)

// Steps lists every step in the order [Writer.WriteFile] runs them.
var Steps = []Step{StepCreate, StepWrite, StepChmod, StepSync, StepClose, StepRename, StepSyncDir}

var stepNames = [...]string{"create", "write", "chmod", "sync", "close", "rename", "sync directory"}

// String returns the step's name, as used in error messages.
func (s Step) String() string {
	if s < 0 || int(s) >= len(stepNames) {
		return fmt.Sprintf("step(%d)", int(s))
	}
	return stepNames[s]
}

// Error reports which step of an atomic write failed.
type Error struct {
	Name string // the target file
	Step Step   // the step that failed
	Err  error  // the underlying error
}

// Error returns "atomicfile: writing <name>: <step>: <underlying error>".
func (e *Error) Error() string {
	return fmt.Sprintf("atomicfile: writing %s: %s: %v", e.Name, e.Step, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Writer writes files atomically. The zero value is ready to use and touches only the operating system.
type Writer struct {
	// Fault, when not nil, is called before each step with the step and the path it acts on (the
	// temporary file, or the directory for StepSyncDir; the target for StepCreate). A non-nil result
	// makes the step fail with that error as though the operating system had returned it. It exists so
	// tests can prove that a failure or a crash at any step leaves the old or the new contents; a test
	// can also copy the directory from inside Fault to see exactly what a crash at that moment leaves.
	Fault func(step Step, path string) error
}

// WriteFile atomically replaces the contents of name with data, as [Writer.WriteFile] with the zero
// Writer.
func WriteFile(name string, data []byte, perm fs.FileMode) error {
	return Writer{}.WriteFile(name, data, perm)
}

// WriteFile atomically replaces the contents of name with data. The new file gets exactly the
// permission bits perm (the process umask is not applied). On success the new contents are on stable
// storage. On error the temporary file is removed; the target holds its old contents, except after a
// failure of StepSyncDir, where the rename has happened but may not survive a power cut, so either
// version may be found later. Errors are *[Error] values naming the failed step.
func (w Writer) WriteFile(name string, data []byte, perm fs.FileMode) (err error) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	fail := func(step Step, e error) error { return &Error{Name: name, Step: step, Err: e} }

	if err := w.fault(StepCreate, name); err != nil {
		return fail(StepCreate, err)
	}
	f, err := os.CreateTemp(dir, tempPrefix(base)+"*")
	if err != nil {
		return fail(StepCreate, err)
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()

	if err := w.fault(StepWrite, tmp); err != nil {
		return fail(StepWrite, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(StepWrite, err)
	}
	if err := w.fault(StepChmod, tmp); err != nil {
		return fail(StepChmod, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(StepChmod, err)
	}
	if err := w.fault(StepSync, tmp); err != nil {
		return fail(StepSync, err)
	}
	if err := f.Sync(); err != nil {
		return fail(StepSync, err)
	}
	if err := w.fault(StepClose, tmp); err != nil {
		return fail(StepClose, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fail(StepClose, err)
	}
	if err := w.fault(StepRename, tmp); err != nil {
		return fail(StepRename, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fail(StepRename, err)
	}
	// From here the temporary name no longer exists; nothing to clean up.
	if err := w.fault(StepSyncDir, dir); err != nil {
		return &Error{Name: name, Step: StepSyncDir, Err: err}
	}
	if err := syncDir(dir); err != nil {
		return &Error{Name: name, Step: StepSyncDir, Err: err}
	}
	return nil
}

func (w Writer) fault(step Step, path string) error {
	if w.Fault == nil {
		return nil
	}
	return w.Fault(step, path)
}

// tempPrefix is the prefix of the temporary files WriteFile creates for a target named base: hidden,
// and recognisable by [RemoveTemps].
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// IsTemp reports whether the file name (without directory) is a temporary file that WriteFile
// creates for the target named base: "." + base + ".tmp-" + decimal digits.
func IsTemp(name, base string) bool {
	p := tempPrefix(base)
	return strings.HasPrefix(name, p) && allDigits(name[len(p):])
}

// isAnyTemp reports whether name is a temporary file WriteFile creates for some target.
func isAnyTemp(name string) bool {
	i := strings.LastIndex(name, ".tmp-")
	return i > 1 && name[0] == '.' && IsTemp(name, name[1:i])
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// RemoveTemps removes temporary files that an interrupted WriteFile may have left. Given the name of
// a target file, it removes that target's temporary files from the target's directory and never
// touches the target itself. Given a directory, it removes the temporary files of every target in
// it. A missing file or directory is not an error.
func RemoveTemps(name string) error {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	match := func(n string) bool { return IsTemp(n, base) }
	if fi, err := os.Stat(name); err == nil && fi.IsDir() {
		dir, match = name, isAnyTemp
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("atomicfile: cleaning %s: %w", name, err)
	}
	var errs []error
	for _, e := range entries {
		if e.Type().IsRegular() && match(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("atomicfile: cleaning %s: %w", name, errors.Join(errs...))
	}
	return nil
}

// syncDir flushes a directory's entries to stable storage. Windows cannot open a directory for
// flushing and makes renames durable itself, so it is skipped there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return serr
	}
	return cerr
}
