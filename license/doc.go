// Package license is the license file lmskit issues and what a PBX or the LMC does with it: license
// lines and how they stack, the signed file with its human and download forms and its activation
// code (the server's side), and the device engine a firmware links to install files, answer "may
// I?" and run the trial and the time-limited licenses (the device's side). The server signs a
// location's file; the PBX firmware opens its device at start-up, installs the file, asks the grant
// on the call-processing path and ticks from a timer:
//
//	// On the license server: sign the location's file with the vendor key.
//	signed, err := file.Sign(vendorKey)
//	if err != nil {
//		return err
//	}
//
//	// On the PBX, at start-up.
//	dev, err := license.OpenDevice(license.DeviceConfig{
//		Host:              host,                       // the system and key code the PBX reads
//		Keyring:           vendorKeys,                 // the vendor's public keys, in the firmware
//		State:             license.DirState(stateDir), // "/data/license"; see also SplitState
//		Secret:            firmwareSecret,             // 16 bytes or more, never beside the state
//		EarliestPlausible: buildTime,                  // the firmware's build time
//		Clock:             clock,                      // nil in a firmware: time.Now
//		Elapsed:           uptime,                     // nil in a firmware: Go's monotonic clock
//	})
//	if err != nil {
//		return err
//	}
//	if err := dev.Install(signed); err != nil { // or its armored text, or the <HWKC>-svi.zip
//		return err
//	}
//
//	// Call processing, for each IP terminal that registers: one atomic load and one map lookup.
//	if registered >= dev.Grant().Count("BE107585") { // LK-SYS-IP-TERMINAL-1-LIC
//		return errNoTerminalLicense
//	}
//
//	// From a timer: at least once a minute, and at Grant().Until().
//	if err := dev.Tick(); err != nil {
//		return err // device time could not be saved; the next Tick tries again
//	}
//
// Here file is the location's [File], vendorKey the vendor's *signing.PrivateKey and vendorKeys a
// *signing.Keyring of its public keys. The package's Example runs it with a fixed test key (real
// keys never live in source) and a fixed clock. The sections below say how lines stack, how a file
// is issued and checked, what the device does with its time, and what it guarantees.
//
// # Lines and stacking
//
// A [Line] is one activated order line of one part. [Stack] adds lines up into a [Set], the
// guide's "licenses can just be added to each other": quantities of a [Count] part sum (5 lines of
// 20 seats and one of 20 give 120), the highest [Version] wins (V3, V4 and V6 give 6), a [Flag]
// part is present. One part under two kinds, a zero or negative quantity and a sum over [MaxQty]
// are errors ([*LineError], matching [ErrInvalid]). A Set is immutable and safe for concurrent
// readers; the zero Set is empty. [Merge] stacks sets.
//
// # Issuing a file (server)
//
// Fill a [File] (serial, issue time, [Term], entitlement type code, the [Host] it is bound to,
// its lines) and call [File.Sign] with the vendor's signing key (see the File.Sign example). The
// result is the license file: a COSE_Sign1 message whose payload is deterministic CBOR, documented
// key by key with its CDDL in FORMAT.md. [Armor] gives its text form with informative headers;
// [SVIZip] and [BXZip] give the download containers; [ActivationCode] gives the 16-digit code
// shown with the download, and [ParseActivationCode] reads one back as an [ActCode], which a
// support call compares with the installed file ([ActCode.Matches]).
//
// # Checking a file (device, LMC)
//
// [ReadInput] recovers the signed bytes from whatever form the user holds: the signed file, its
// armored text, the <HWKC>-svi.zip or the BX/OVOC zip, recognised by content ([Dearmor],
// [ReadSVIZip] and [ReadBXZip] read one form each). [Open] verifies them against a
// signing.Keyring of trusted vendor keys and decodes the [File]; [File.Check] checks that it is
// bound to the observed [Host] (system; the primary or the secondary code; every other attribute
// the file carries) and, for fixed-term files, that Issued <= now < NotAfter, to the second
// ([ErrHostMismatch], [ErrNotYetValid], [ErrExpired]). Permanent files never look at the clock.
// Demo, service and temporary files are fixed-term; the entitlement type codes are those of the
// second vendor's "Entitlement Category" table ([EntitlementType] is the one table of the types
// and their categories; a permanent file carries T or nothing). A location whose fixed-term lines
// have files of their own downloads them all in one <HWKC>-svi.zip ([ReadSVIZipFiles]); a device
// installs each.
//
// # Revocation
//
// A newer file of a location can supersede its older files of the same kind (format version 2,
// [File.Supersedes]): a device that installs it removes them and refuses them afterwards
// ([ErrSuperseded]), so what was revoked from the newer file no longer grants through an older
// one. Files that supersede nothing are written in version 1, readable by every device.
//
// # The device
//
// A firmware calls [OpenDevice] at start-up with a [DeviceConfig] (the observed host, the vendor
// keyring, a [State] store such as [DirState] or [SplitState], its sealing secret), then answers
// every "may I?" with Grant().Count, Version or Has (one atomic load and a map lookup, no lock, no
// allocation), calls [Device.Tick] from a timer, [Device.StartTrial] when 90-55-01 is set to 1, and
// [Device.Install] (with the file in any form [ReadInput] reads) and [Device.Remove] from its
// management interface; see the OpenDevice example. The [Grant] says its [Mode]: files stacked
// (permanent, demo, service, temporary), else the trial set while the 60-day trial runs, else
// unlicensed. Demo, service and temporary files grant from Issued until NotAfter, and the grant
// then falls back to what the other files grant (or to the trial, while it runs and no file is
// active); the trial runs once per device lifetime. Every change is reported to
// DeviceConfig.OnChange with its [Reason]. The trial and every fixed-term file are measured in
// device time, which a user cannot set: the rest of this section is what a firmware needs to know
// about it; [Device] has the details.
//
// # Firmware guidance
//
//   - Pass no Clock and no Elapsed: the device then reads time.Now and Go's monotonic clock. Set
//     EarliestPlausible to the firmware's build time.
//   - Call Tick at least every [MaxTickInterval] (once a minute) and at Grant().Until(). Device time
//     is saved every RollbackTolerance/2 of its progress (between two minutes and an hour: five
//     minutes by default); a restart resumes it that much plus a minute ahead of the last save
//     (the restart lease), which covers every grant published since, provided the firmware ticked
//     at least once a minute.
//   - Keep the trial marker where the user cannot wipe it nor put back an older copy: with
//     [SplitState], the state on the data partition and the marker on a second flash partition, an
//     EEPROM on the CPU board or a TPM NV index that a factory reset of the data does not touch.
//     With [DirState] alone the marker lies beside the state directory, where a user with a shell
//     can delete both (a new device) or put back older copies of both (an older device): see the
//     table below.
//   - Show the user Grant().Hold() and the Change reasons: a hold says why the trial and the demo,
//     service and temporary files wait, and what ends it. For [HoldTimeUnknown] and
//     [HoldUnconfirmed] the partner asks the vendor for a time token: [Device.TimeChallenge] gives
//     the text to send, [Device.ApplyTimeToken] takes the answer.
//   - Where a reboot loop is possible, know what it costs: each restart that comes sooner than the
//     restart lease (six minutes by default) after the last save moves device time ahead of the
//     true time by the difference, so time-limited grants end that much earlier. A larger
//     RollbackTolerance saves less often and costs more per quick restart; a smaller one the
//     reverse.
//
// Writes: the state record and the trial marker are written together, the state first (on a device
// that has neither, the marker first): every RollbackTolerance/2 of device time (288 times a day by
// default, 24 with a tolerance of two hours or more), at every start-up, and at every install,
// remove, trial start and time token; a new time challenge writes the marker alone. With the
// default tolerance a device that runs all day writes each record at most 288 times a day plus
// once per start-up and per operation. Each state write rewrites the installed files (the record
// is about their size plus 100 bytes); the marker is under 150 bytes.
//
// What a device can prove without trusted time: that its device time is not behind the time it
// has run (the monotonic clock), so no clock game while it runs, and no restart however often,
// stretches a term; and that a state or marker it reads is its own and whether the two belong
// together. What it cannot prove: how long it was switched off. A device switched off, whose clock
// is set back to where it stopped before it starts again, spends its terms only while it runs;
// every term still grants for no longer than its length, and a fixed-term file for no longer than
// its length after its Issued time. Nor can it tell a genuine clock from a wrong one that agrees
// with the monotonic clock: a clock read at start-up within MaxClockLead ahead is believed.
//
// The plausibility rule: a clock reading is plausible when it is not before EarliestPlausible and
// not more than MaxClockLead (366 days) ahead of device time (a device with no state believes any
// reading up to 20 years after EarliestPlausible). An implausible reading is never believed: a
// device that starts with one holds its time-limited grants ([HoldTimeUnknown]) until the clock
// reads a plausible time or a vendor time token arrives; a device that is running ignores it (and
// reports it once per run of them). A plausible reading more than RollbackTolerance behind the
// highest time the device has confirmed is a rollback ([HoldRollback]) until the clock is
// corrected: that time advances with the monotonic clock (less 1/1024, for clock drift) and, after
// a restart, resumes as saved, without the restart lease that device time takes, so an honest
// clock read just after a restart is not a rollback.
//
// When an unconfirmed forward jump is accepted without a token: at start-up, the first plausible
// reading that is more than RollbackTolerance ahead of device time is believed at once, since the
// device cannot know how long it was off (one less than that ahead is watched as below). While the
// device runs, a reading ahead of device time is a glitch that device time does not follow unless
// it holds, reading after reading and steady against the monotonic clock (within the tolerance),
// for [ForwardJumpHold] (24 hours) of monotonic time; a reading at or below device time ends the
// watch, and one that moves against the monotonic clock by more than the tolerance starts it
// again. Nothing beyond MaxClockLead is ever accepted without a token. A token can also pull device
// time back from a jump that was followed, by at most the allowance the vendor signed into it.
//
// What deleting, damaging or putting back the records achieves (tested row by row in
// TestDirStateDeletion; a power cut between the two writes is none of these, and loses nothing):
//
//	done to the records                 files          trial                    time-limited grants
//	nothing (a restart)                 kept           kept                     run
//	state deleted, damaged, or an       lost: install  kept (from the marker)   run (device time from the
//	  older copy put back                 again                                   marker: nothing gained)
//	marker deleted or damaged           kept           not started: counts as   wait for a vendor time
//	                                                   used; started: kept      token (HoldUnconfirmed)
//	an older marker put back            kept           kept                     run (the marker is rewritten)
//	older state put back and marker     the copy's     as "marker deleted"      wait for a vendor time token
//	  deleted or damaged
//	both damaged, or one damaged and    lost           counts as used           run (none are left)
//	  the other deleted
//	both deleted                        lost           can start again          a new device
//	older copies of both put back       the copy's     as in the copy           as in the copy: an older device
//	older marker put back, state        lost           as in the copy           an older device without files
//	  deleted
//
// The last three need write access where the marker is kept; [SplitState] with a marker the user
// cannot wipe or roll back removes them. A vendor time token ends the waits, and one that re-arms
// the trial lets it start again (see [TimeToken]).
//
// # Security
//
// Nothing is trusted before [Open] verifies the signature; armor headers, container names and
// the .log of a BX container are labels only. Open refuses input over [MaxFileSize] before
// parsing, requires the exact envelope [File.Sign] writes and the content type [ContentType],
// checks the signing key's validity window against the file's Issued time, and reads the payload
// with a bounded decoder that refuses duplicate or unknown keys, indefinite lengths, non-shortest
// encodings, trailing bytes and oversize strings or counts, so that decoding then encoding gives
// the input bytes back. Container readers cap size, entry count, entry size and total, and refuse
// entry names that could escape a directory. No input panics. Time tokens are read the same way
// ([OpenTimeToken]), with their own content type, so that neither passes for the other.
//
// A device refuses a file that does not verify, is bound to another host, has expired in device
// time, or is fixed-term while its time-limited grants are held; a refused Install changes
// nothing. Its state (installed files, trial start, device time) is sealed with XChaCha20-Poly1305
// under a key derived with HKDF-SHA256 from DeviceConfig.Secret and the host's system and code, so
// an edited, truncated or transplanted state fails to open, is reported, and never grants more
// than the last good state. A small sealed trial marker, kept apart from the state (with DirState,
// beside its directory; with [SplitState], in a second store), keeps the trial start, device time,
// the state's generation and the open time challenge, so deleting the state or putting back an
// older copy does not restart the trial, give back time, or bring back a removed file. DirState
// writes atomically (temporary file, fsync, rename, fsync of the directory); a firmware's own
// [State] must be atomic too.
//
// # Compatibility
//
// The file format is a public contract, documented key by key in FORMAT.md. Files of format
// versions 1 and 2, signed by a key the keyring trusts for their Issued time, stay verifiable by
// every later version of this package, with the same activation code (its algorithm is versioned in
// [ActivationCode]); testdata/golden.json and testdata/payload_vectors.json pin the bytes. Version
// 2 adds only the supersedes key, and a file is written in version 2 only when it supersedes, so a
// device that reads version 1 keeps reading every other file. A later format gets another version
// number, which this version refuses rather than guesses at. The device's sealed state and marker
// are read by later versions: this version writes record version 2 and reads version 1
// (testdata/state-v1 holds a state written before version 2, and a test opens it); superseded
// series are a field of record version 2, written only when there is one; a record it cannot read
// is reported and treated as one that was damaged (see the table above). Time tokens are version 1
// of their own format (see [TimeToken]).
//
// # Performance
//
// Each benchmark runs beside its floor in the same process, and the "interleaved" and "Ratio"
// sub-benchmarks alternate the two so that both see the same load. BENCHMARKS.md has the figures
// with the machine and the command:
//
//	go test -run '^$' -bench . -benchtime=1s -count=3 ./license
//
// In the runs recorded there: Open+Check of a 50-line file (5,977 bytes signed) costs 1.16 to 1.21
// times a bare ed25519.Verify of its payload; Sign 1.22 to 1.25 times a bare ed25519.Sign;
// Set.Count on a 200-part set 0.75 to 1.0 times a plain map lookup, with no allocation;
// Device.Grant().Count 1.004 to 1.08 times an atomic.Pointer load plus a map lookup, with no
// allocation, also while another goroutine installs files; Install of a 50-line file about 1.8
// times a bare Open with a memory State, and two fsyncs more per record written with DirState.
// BENCHMARKS.md also has the table of the simulated clock and file games (go test ./license -run
// '^TestSimulationReport$' -simreport=FILE): what each attack got out of the trial and a demo file
// in 90 days, and what each honest life lost.
package license
