package atomicfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lmskit/lmskit/internal/atomicfile"
)

// A state file replaced twice; a write that fails before its rename (a fault injected as a test
// does) leaves the old contents; and at start-up RemoveTemps clears the temporary file a crash
// left (made by hand here: a failed write removes its own).
func Example() {
	dir, err := os.MkdirTemp("", "atomicfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if err := replaceState(dir); err != nil {
		fmt.Println(err)
	}
	// Output:
	// state: version 2
	// failed at rename: true
	// state: version 2
	// left in the directory: [state]
}

func replaceState(dir string) error {
	name := filepath.Join(dir, "state")
	for _, v := range []string{"version 1", "version 2"} {
		data := []byte(v)
		if err := atomicfile.WriteFile(name, data, 0o600); err != nil {
			return err // an *atomicfile.Error names the step that failed
		}
	}
	if err := printFile(name); err != nil {
		return err
	}

	crash := errors.New("power cut")
	w := atomicfile.Writer{Fault: func(step atomicfile.Step, path string) error {
		if step == atomicfile.StepRename {
			return crash
		}
		return nil
	}}
	err := w.WriteFile(name, []byte("version 3"), 0o600)
	var ae *atomicfile.Error
	fmt.Println("failed at rename:", errors.As(err, &ae) && ae.Step == atomicfile.StepRename && errors.Is(err, crash))
	if err := printFile(name); err != nil {
		return err
	}

	if err := os.WriteFile(filepath.Join(dir, ".state.tmp-4711"), []byte("version"), 0o600); err != nil {
		return err
	}
	if err := atomicfile.RemoveTemps(dir); err != nil { // at start-up: what an interrupted write left
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	fmt.Println("left in the directory:", names)
	return nil
}

func printFile(name string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	fmt.Printf("state: %s\n", b)
	return nil
}
