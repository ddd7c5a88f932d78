// Command quickstart is lmskit's main job, run by `go run ./examples/quickstart`. It walks through
// the parts of the licensing flow that exist so far, each in its own file, and prints short,
// deterministic output.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run runs every part of the quickstart in order.
func run(w io.Writer) error {
	// Hardware key codes: parse the guide's codes, derive the server's virtual codes (keycodes.go).
	if err := runKeyCodes(w); err != nil {
		return err
	}
	if err := runLedger(w); err != nil { // The server side: the guide's SV8100 example on the ledger (ledger.go).
		return err
	}
	if err := runScenario(w); err != nil { // The SV9500 Standard Server's virtual HWKC (scenario.go).
		return err
	}
	if err := runSWA(w); err != nil { // Software Assurance: the guide's iS3000/SIP@Net example (swa.go).
		return err
	}
	if err := runSecondVendor(w); err != nil { // Temporary licenses and deal registration (secondvendor.go).
		return err
	}
	return runDevice(w) // The PBX side: a device starts its trial and installs a file (device.go).
}
