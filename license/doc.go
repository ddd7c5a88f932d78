// Package license is the license file lmskit issues and a PBX or the LMC trusts: license lines
// and how they stack, the signed file, its human and download forms, and the activation code.
//
// # Lines and stacking
//
// A [Line] is one activated order line of one part. [Stack] adds lines up into a [Set], the
// guide's "licenses can just be added to each other": quantities of a [Count] part sum (5 lines of
// 20 seats and one of 20 give 120), the highest [Version] wins (V3, V4 and V6 give 6), a [Flag]
// part is present. A Set is immutable and safe for concurrent readers; the zero Set is empty.
// Stack lines from many files into one Set, or [Merge] sets.
//
// # Issuing a file (server)
//
// Fill a [File] (serial, issue time, [Term], entitlement type code, the [Host] it is bound to,
// its lines) and call [File.Sign] with the vendor's signing key. The result is the license file:
// a COSE_Sign1 message whose payload is deterministic CBOR (FORMAT.md has the CDDL). [Armor]
// gives its text form with informative headers; [SVIZip] and [BXZip] give the download
// containers; [ActivationCode] gives the 16-digit code shown with the download.
//
// # Checking a file (device, LMC)
//
// [Dearmor] or [ReadSVIZip] / [ReadBXZip] recover the signed bytes; [Open] verifies them against
// a signing.Keyring of trusted vendor keys and decodes the [File]; [File.Check] checks that it is
// bound to the observed [Host] and, for fixed-term files, that now is within [Issued, NotAfter).
// [File.Set] stacks its lines.
//
// # Terms and entitlement types
//
// Permanent files never expire and never look at the clock. Demo, service and temporary files
// are fixed-term. The entitlement type codes are those of DOMAIN.md §8: a permanent file carries
// T or nothing (nothing means T); demo and service files carry nothing or a fixed-term type
// (B D L M N P S X Y commercial, A C F V non-commercial); temporary files carry a fixed-term type.
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
// # Compatibility
//
// The file format is a public contract, documented key by key in FORMAT.md. Files of format
// version 1 stay verifiable by later versions of this package; testdata/golden.json pins the bytes.
//
// # Performance
//
// Each benchmark runs beside its floor in the same process (go test -run '^$' -bench . ./license/;
// the "interleaved" sub-benchmarks alternate the two so that both see the same load). On the shared
// 2-core development machine: Open+Check of a 50-line file (5,977 bytes signed, 5,844 of payload)
// costs 1.15-1.21 times a bare ed25519.Verify of its payload (about 80 µs there), of which the
// payload decoder is about 11 µs; Sign costs 1.18-1.20 times a bare ed25519.Sign, the COSE
// envelope included; Set.Count on a 200-part set takes 7.3-7.9 ns with no allocation, where a
// plain map[string]int lookup of the same part takes 11.5-12.2 ns.
package license
