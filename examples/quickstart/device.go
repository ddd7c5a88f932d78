package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// runDevice shows the PBX side: an SV8100 (191000343919) opens its license state, starts its 60-day
// trial (90-55-01 set to 1), installs the permanent file LMS issued for it and then a demo file,
// lives through the demo's end, and reboots with its clock set back. The device's clock is simulated
// so that every run prints the same; a firmware passes no Clock and gets time.Now.
func runDevice(w io.Writer) error {
	dir, err := os.MkdirTemp("", "lmskit-device-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The vendor key is generated for this run: real keys never live in source. The device trusts
	// its public half; the firmware secret seals the device's state.
	vendor, err := signing.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	kr := signing.NewKeyring()
	if err := kr.Add(vendor.Public().KeyID().Bytes(), vendor.Public(), signing.Window{}); err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}

	now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	host := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	trial, err := license.Stack(
		license.Line{Part: "BE107573", Name: "LK-SYS-256 PORT LIC", Kind: license.Count, Qty: 1},
		license.Line{Part: "BE107585", Name: "LK-SYS-IP-TERMINAL-1-LIC", Kind: license.Count, Qty: 8},
	)
	if err != nil {
		return err
	}
	boot := func() (*license.Device, error) {
		return license.OpenDevice(license.DeviceConfig{
			Host:     host,
			Keyring:  kr,
			State:    license.DirState(filepath.Join(dir, "license")), // the trial marker lands beside it, in dir
			Secret:   secret,
			Clock:    func() time.Time { return now },
			TrialSet: trial,
			OnChange: func(c license.Change) { fmt.Fprintf(w, "  event: %s\n", c) },
		})
	}
	fmt.Fprintln(w, "== a PBX device: 60-day trial, license file, demo file, clock set back")
	d, err := boot()
	if err != nil {
		return err
	}
	if err := d.StartTrial(); err != nil {
		return err
	}
	fmt.Fprintf(w, "90-55-01 set to 1: mode %s until %s\n", d.Grant().Mode(), d.Grant().TrialEnd().Format(time.DateOnly))

	// Three days later the permanent file LMS issued for the location arrives.
	now = now.Add(3 * 24 * time.Hour)
	act := time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)
	perm := &license.File{Serial: "191000343919-0001", Issued: now.Add(-time.Hour), Term: license.Permanent, Host: host,
		Lines: []license.Line{
			{SKC: "HV19BBXB9E9CVDK52N0W", Part: "BE107573", Name: "LK-SYS-256 PORT LIC", Kind: license.Count, Qty: 1, Activated: act},
			{SKC: "AA19MXCH1TN7A43ML65B", Part: "BE107582", Name: "LK-SYS-IP-TRUNK1-LIC", Kind: license.Count, Qty: 5, Activated: act},
			{SKC: "1V191JTEBJGFV57KNTE9", Part: "BE107576", Name: "LK-SYS-SMDR-LIC SMDR License", Kind: license.Flag, Qty: 1, Activated: act},
			{SKC: "N81964JPN9E6JNFAFA2V", Part: "BE107585", Name: "LK-SYS-IP-TERMINAL-1-LIC", Kind: license.Count, Qty: 20, Activated: act},
		}}
	signed, err := perm.Sign(vendor)
	if err != nil {
		return err
	}
	if err := d.Install(signed); err != nil {
		return err
	}
	g := d.Grant()
	fmt.Fprintf(w, "file from LMS installed: mode %s, %d IP terminals, %d IP trunks, SMDR %v\n", g.Mode(), g.Count("BE107585"), g.Count("BE107582"), g.Has("BE107576"))

	// A 14-day demo file opens more for a while, then the device falls back to its own file.
	demo := &license.File{Serial: "191000343919-DEMO-1", Issued: now, NotAfter: now.Add(14 * 24 * time.Hour), Term: license.Demo, Host: host,
		Lines: []license.Line{{Part: "BE107585", Name: "LK-SYS-IP-TERMINAL-1-LIC", Kind: license.Count, Qty: 100}}}
	if signed, err = demo.Sign(vendor); err != nil {
		return err
	}
	if err := d.Install(signed); err != nil {
		return err
	}
	fmt.Fprintf(w, "demo file installed: mode %s until %s, %d IP terminals\n", d.Grant().Mode(), d.Grant().Until().Format(time.DateOnly), d.Grant().Count("BE107585"))
	now = d.Grant().Until()
	if err := d.Tick(); err != nil {
		return err
	}
	fmt.Fprintf(w, "demo ended: mode %s, %d IP terminals\n", d.Grant().Mode(), d.Grant().Count("BE107585"))

	// A reboot with the clock two days behind: reported; the permanent file is unaffected.
	now = now.Add(-48 * time.Hour)
	if d, err = boot(); err != nil {
		return err
	}
	fmt.Fprintf(w, "reboot with the clock 2 days back: mode %s, rollback %v, %d IP terminals\n", d.Grant().Mode(), d.Grant().Rollback(), d.Grant().Count("BE107585"))
	return nil
}
