package license_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// A firmware's start-up sequence: open the device on its state directory, start the trial when
// the installer sets 90-55-01 to 1, install the file LMS issued, and tick from a timer. The vendor
// key, the secret and the clock are fixed for the example; real keys never live in source, and a
// firmware passes no Clock (time.Now) and reads its secret from a protected place.
func ExampleOpenDevice() {
	vendor := mustKey(bytes.Repeat([]byte{7}, signing.SeedSize))
	kr, err := exampleKeyring(vendor)
	if err != nil {
		fmt.Println(err)
		return
	}

	now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	data, err := os.MkdirTemp("", "lmskit-device") // the firmware's data partition
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(data)
	dir := filepath.Join(data, "license") // DirState keeps its trial marker beside it, in data

	host := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	trial, err := license.Stack(
		license.Line{Part: "BE107573", Kind: license.Count, Qty: 2},
		license.Line{Part: "BE107585", Kind: license.Count, Qty: 32},
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	boot := func() *license.Device {
		d, err := license.OpenDevice(license.DeviceConfig{
			Host:     host,
			Keyring:  kr,
			State:    license.DirState(dir),
			Secret:   []byte("example firmware secret, 32 byte"),
			Clock:    clock,
			TrialSet: trial,
			OnChange: func(c license.Change) { fmt.Println("  event:", c) },
		})
		if err != nil {
			panic(err)
		}
		return d
	}

	d := boot()
	fmt.Println("first boot:", d.Grant())

	// 90-55-01 set to 1.
	if err := d.StartTrial(); err != nil {
		fmt.Println("no trial:", err)
	}
	fmt.Println("trial:", d.Grant())

	// Three days later the partner installs the file LMS issued.
	now = now.Add(72 * time.Hour)
	f := &license.File{Serial: "LMS-0001", Issued: now.Add(-time.Hour), Term: license.Permanent, Host: host,
		Lines: []license.Line{{SKC: "N81964JPN9E6JNFAFA2V", Part: "BE107585", Kind: license.Count, Qty: 20}}}
	signed, err := f.Sign(vendor)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := d.Install(signed); err != nil {
		fmt.Println("refused:", err)
	}
	fmt.Println("licensed:", d.Grant(), "- IP terminals:", d.Grant().Count("BE107585"))

	// A restart with the clock set back a day: the permanent file still works, and the rollback is
	// reported. (After a restart device time resumes the save interval plus a tick, six minutes
	// here, ahead of the last device time saved: the most it can have reached.)
	now = now.Add(-24 * time.Hour)
	d = boot()
	fmt.Println("after reboot:", d.Grant())

	// Output:
	// first boot: unlicensed
	//   event: trial started at device time 2026-04-01T08:00:00Z (the clock reading 2026-04-01T08:00:00Z)
	// trial: trial until 2026-05-31T08:00:00Z: BE107573=2 BE107585=32
	//   event: installed "LMS-0001"
	// licensed: licensed: BE107585=20 - IP terminals: 20
	//   event: rollback: license: clock set back: the clock reading 2026-04-03T08:00:00Z is 24h6m0s behind device time 2026-04-04T08:06:00Z, more than the tolerance (10m0s); correct the clock
	// after reboot: licensed (clock rolled back): BE107585=20
}

// A PBX whose real-time clock lost its battery starts with the clock at 2000-01-01: it keeps its
// permanent files but holds its trial, because it cannot know the time. The partner sends the
// device's time challenge to the vendor, whose license server checks the code against its
// locations and answers with a signed time token; the device applies it and the trial runs again.
func ExampleDevice_ApplyTimeToken() {
	vendor := mustKey(bytes.Repeat([]byte{7}, signing.SeedSize))
	kr, err := exampleKeyring(vendor)
	if err != nil {
		fmt.Println(err)
		return
	}
	host := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	trial, err := license.Stack(license.Line{Part: "BE107585", Kind: license.Count, Qty: 32})
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := os.MkdirTemp("", "lmskit-device")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(data)

	now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	boot := func() *license.Device {
		d, err := license.OpenDevice(license.DeviceConfig{
			Host: host, Keyring: kr, State: license.DirState(filepath.Join(data, "license")),
			Secret: []byte("example firmware secret, 32 byte"), TrialSet: trial,
			Clock: func() time.Time { return now },
			Rand:  bytes.NewReader(bytes.Repeat([]byte{0xa5}, 64)), // crypto/rand in a firmware
		})
		if err != nil {
			panic(err)
		}
		return d
	}
	d := boot()
	if err := d.StartTrial(); err != nil {
		fmt.Println("no trial:", err)
	}
	fmt.Println("trial:", d.Grant())

	// Ten days later, a boot with the clock at 2000-01-01.
	vendorNow := now.Add(10 * 24 * time.Hour)
	now = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	d = boot()
	fmt.Println("flat battery:", d.Grant(), "-", d.Grant().Hold())
	ch, err := d.TimeChallenge()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("challenge:", ch)

	// The license server: parse the challenge, check its code, issue and audit the token.
	received, err := license.ParseTimeChallenge(ch.String())
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := license.IssueTimeToken(vendor, received, vendorNow, license.TimeTokenOptions{Serial: "TT-000123"})
	if err != nil {
		panic(err)
	}

	// The device again.
	if err := d.ApplyTimeToken(token); err != nil {
		fmt.Println("refused:", err)
	}
	fmt.Println("after the token:", d.Grant(), "- device time", d.Grant().At().Format(time.RFC3339))
	fmt.Println("the same token again:", d.ApplyTimeToken(token) != nil)

	// Output:
	// trial: trial until 2026-05-31T08:00:00Z: BE107585=32
	// flat battery: unlicensed (time unknown) until 2026-05-31T08:00:00Z - time unknown
	// challenge: SV8100:191000343919:A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5
	// after the token: trial until 2026-05-31T08:00:00Z: BE107585=32 - device time 2026-04-11T08:00:00Z
	// the same token again: true
}
