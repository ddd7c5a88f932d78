// Package license is the license file lmskit issues and what a PBX or the LMC does with it: license
// lines and how they stack, the signed file with its human and download forms and its activation
// code (the server's side), and the device engine a firmware links to install files, answer "may
// I?" and run the trial and the time-limited licenses (the device's side).
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
// shown with the download, and [ParseActivationCode] reads one back as an [ActCode]. (The issue
// that specified this API names the parsed type ActivationCode; Go cannot have a function and a
// type of the same name in one package, so the type is ActCode.)
//
// # Checking a file (device, LMC)
//
// [Dearmor] or [ReadSVIZip] / [ReadBXZip] recover the signed bytes; [Open] verifies them against
// a signing.Keyring of trusted vendor keys and decodes the [File]; [File.Check] checks that it is
// bound to the observed [Host] (system; the primary or the secondary code; every other attribute
// the file carries) and, for fixed-term files, that Issued <= now < NotAfter, to the second
// ([ErrHostMismatch], [ErrNotYetValid], [ErrExpired]). Permanent files never look at the clock.
// Demo, service and temporary files are fixed-term; the entitlement type codes are the second
// vendor's ([EntitlementType]: the one table of types and their categories; a permanent file
// carries T or nothing). A location whose fixed-term lines have files of their own downloads them
// all in one <HWKC>-svi.zip ([ReadSVIZipFiles]); a device installs each.
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
// keyring, a [State] store such as [DirState], its sealing secret), then answers every "may I?"
// with Grant().Count, Version or Has (one atomic load and a map lookup, no lock, no allocation),
// calls [Device.Tick] from a timer, [Device.StartTrial] when 90-55-01 is set to 1, and
// [Device.Install] and [Device.Remove] from its management interface; see the OpenDevice example.
// The [Grant] says its [Mode]: files stacked (permanent, demo, service, temporary), else the trial
// set while the 60-day trial runs, else unlicensed. Demo and service files grant until NotAfter and
// the grant then falls back to the permanent files; the trial runs once per device lifetime.
// Every change is reported to DeviceConfig.OnChange with its [Reason].
//
// Device time is never below the highest clock reading seen, so setting the clock back never
// makes anything last longer; a reading more than RollbackTolerance below it is a rollback, which stops the trial
// and every fixed-term file at once (permanent files are unaffected) until the clock is corrected.
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
// entry names that could escape a directory. No input panics.
//
// A device refuses a file that does not verify, is bound to another host, has expired, or is
// fixed-term while the clock is set back; a refused Install changes nothing. Its state (installed
// files, trial start, device time) is sealed with XChaCha20-Poly1305 under a key derived with
// HKDF-SHA256 from DeviceConfig.Secret and the host's system and code, so an edited, truncated or
// transplanted state fails to open, is reported, and never grants more than the last good state.
// A small sealed trial marker, kept apart from the state (with DirState, beside its directory;
// with [SplitState], in a second store), keeps the trial start, a floor under the clock and the
// state's generation, so deleting the state or putting back an older copy does not restart the
// trial nor bring back a removed file. Deleting both the state and the marker makes a new device:
// [DirState] says exactly what deleting which file achieves, and a firmware that must rule that
// out keeps the marker where a user cannot write. Writes are atomic (temporary file, fsync,
// rename, fsync of the directory).
//
// # Compatibility
//
// The file format is a public contract, documented key by key in FORMAT.md. Files of format
// versions 1 and 2, signed by a key the keyring trusts for their Issued time, stay verifiable by
// every later version of this package, with the same activation code (its algorithm is versioned in
// [ActivationCode]); testdata/golden.json and testdata/payload_vectors.json pin the bytes. Version
// 2 adds only the supersedes key, and a file is written in version 2 only when it supersedes, so a
// device that reads version 1 keeps reading every other file. A later format gets another version
// number, which this version refuses rather than guesses at. A device that remembers superseded
// series keeps them in its sealed state record (a new field, written only when there is one). The
// device's sealed state and marker (record version 1, seal format version 1) are read by later
// versions; a record this version cannot read is reported and treated as one that was edited (see
// [DirState] for what then remains).
//
// # Performance
//
// Each benchmark runs beside its floor in the same process (go test -run '^$' -bench . ./license/;
// the "interleaved" and "Ratio" sub-benchmarks alternate the two so that both see the same load);
// BENCHMARKS.md has the figures with the command. On the shared 2-core development machine: Open+Check
// of a 50-line file (5,977 bytes signed) costs 1.16-1.21 times a bare ed25519.Verify of its payload;
// Sign costs 1.22-1.25 times a bare ed25519.Sign; Set.Count on a 200-part set takes no longer than a
// plain map lookup (7.3-7.9 ns when the machine is quiet, 11-14 ns under load), with no allocation;
// Device.Grant().Count costs 1.01-1.08 times an atomic.Pointer load plus a map lookup, with no
// allocation, also while another goroutine installs files; Install of a 50-line file takes about
// 165 µs with a memory State and 2 ms with DirState's fsyncs.
package license
