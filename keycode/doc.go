// Package keycode parses, detects and derives the hardware key codes (HWKC) that lmskit binds
// licenses to, one grammar per LMS system type, and the software key codes (SKC) of license lines.
// It imports only the standard library. LMS asks for a system type and a key code together, so
// the first calls are [ParseSystem] and [Parse]:
//
//	sys, err := keycode.ParseSystem(systemType) // "SV9500", "sv 9500", "SV9500 Standard Server Model"
//	if err != nil {
//		return err // a *keycode.SystemError names the candidates: "SV9100" is SV9100 CP10 or CP20
//	}
//	c, err := keycode.Parse(sys, input) // trims white space, reads the QR label form
//	if err != nil {
//		return err // a *keycode.ParseError: the offset, what was expected, the likely character
//	}
//	fmt.Println(c, "|", c.System(), "|", c.Form())
//
// The package's Example runs it on the guide's codes.
//
// A [Code] is a small comparable value (two parses of the same code are ==, so it can be a map
// key); its zero value is invalid. [Code.String] is the canonical code, [Code.System] its system,
// [Code.Form] which row of the grammar it matched. A rejection is a [*ParseError] naming the offset,
// what was expected there, and, for the label-reading confusions 5/S, 8/B, 0/O, 1/I, 6/G and 2/Z,
// the character the input most likely meant. [ParseSystem] accepts the guide's spellings of a
// system type; a [*SystemError] names the candidates of an ambiguous or mistyped one, and
// [LookupSystem] answers yes or no.
//
// Other entry points: [Detect] lists every system whose grammar accepts a string; [Code.LMC] and
// [Code.PBX] convert between a PBX code and its License Manager Client form; [TempKey] makes the
// temp keys of SR-MGC and SV9500 Standard Server locations; a [Deriver] makes the virtual codes the
// license server issues; [NewUIP] makes the code the LMC generates for a UIP;
// [ParseSoftwareKeyCode] and [NewSoftwareKeyCode] handle SKCs; [ParseProductKey] reads a BX/OVOC
// product key.
//
// # Grammars
//
// One grammar per system (the guide's "Products supported and Hardware Key Code formats"; H hex
// digit, D decimal digit, X letter or digit). Hex grammars and fixed letters ("aa…AA",
// "TEMP-KEY", "LMIS") are folded to their canonical case; mixed-case grammars (the 28-character
// codes) keep their case, because there case is part of the code (22E768917A924054910F10599AIG
// and …AtG are two codes).
//
//	SL1000/SL1100   "28" + 10 D                        SL2100        "38" + 10 H
//	SV8100          "19" + 10 D                        SV9100 CP10   "34" + 10 H
//	SV9100 CP20     "44" + 10 H                        3C, 3C CAT2   "3C" + 10 H
//	SV8300          "18" + 3 X + "-" + 3 X + "-" + 18 X
//	SV9300          "36" + 26 X                        SV8500        "22" + 26 X
//	SV9500          "35" + 26 X; the label form "A_3565-A9C3-…" (with or without "A_") becomes
//	                "3565A9C3…"; lmskit's derived "35V…" and "35M…"; temp key "35-…-TEMP-KEY"
//	SR-MGC          temp key "22-yyMMddHHmmss-NNN-TEMP-KEY" (the time is validated)
//	iS3000 / SIP@Net Server, dongle "aa0014SA" + 10 D + "AA"; CPU3000 "aa0024IC" + 12 D + "xxx" +
//	                5 D + "AA"; CIE-2 "aa0024IA" + same; dongle-less "aa0016HN" + 12 D + "AA"
//	BCT, RCC        the dongle form
//	IP DECT, DECT - NS  "1" + 7 H (the PARI)
//	License Manager Client  "LM" + an SV8300/SV8500/SV9300/SV9500 code or temp key, a 3C code, or
//	                an SV7000 code ("01" + 26 X); "LMIS" + an iS3000 code without "aa" and "AA"; "LM" + 13 X
//	                (2000IPS); UIP "LM" + 28 H
//	BX/OVOC         7 or 8 D serial (BX500/800/1000), 14 or 15 D machine id (BX9000, OVOC),
//	                12 H OVOC serial; product key "DT" + 7 D, or 15-16 X for software products
//	UM4730          2 D + "-" + 8 D, or 13 D           ExpenseManagement  8 D
//	Mobicall Master, Mobicall Supervisor, MobiBox  4 H  uMobility     12 H
//	ESN             8 to 40 letters or digits (X), letters folded to upper case: the equipment
//	                serial number of a device of the second vendor, which its temporary
//	                pre-sales licenses are bound to; never reported by Detect
//
// Inputs are capped at [MaxInput] bytes before any work; invalid UTF-8 and control characters are
// rejected with a [*ParseError] like any other wrong character.
//
// # Derivations
//
// The codes the server creates are derived by a [Deriver] keyed with the issuer's secret (at least
// [MinSecretLen] bytes; 32 random bytes recommended). From the secret it derives one key per
// derivation: K(label) = HMAC-SHA-256(secret, "lmskit/keycode/v1/" + label). Each result is in its
// platform's grammar, ends in lmskit check characters (below), and parses under its system.
//
//   - SV9500 Standard Server, from the LAN1 IP and a uniqueness input seq (uint64):
//     "35V" + the first 23 hex digits (upper case) of HMAC-SHA-256(K("SV9500 Standard Server"),
//     msg) + 2 check characters, where msg = 0x04 + the 4 address bytes, or 0x06 + the 16 bytes for
//     IPv6 (IPv4-mapped addresses count as IPv4), followed by seq as 8 bytes big-endian.
//   - SV9500 Small Enterprise, from the 48-bit MAC: "35M" + the first 23 hex digits of
//     HMAC-SHA-256(K("SV9500 Small Enterprise"), the 6 MAC bytes) + 2 check characters.
//   - iS3000 dongle-less, from a Full Computer Name and seq < 10^10: "aa0016HN" + P(seq) in 10
//     digits + 2 check digits + "AA".
//   - 3C and 3C CAT2, from a domain name and seq < 2^32: "3C" + P(seq) in 8 hex digits + 2 check
//     characters. 3C and 3C CAT2 share P (one code space, one sequence) and differ in the check.
//
// P is a keyed permutation: a 10-round Feistel network on x = L*m + R (m = 10^5 for iS3000, 2^16 for
// 3C), each round (L, R) = (R, (L + F(i, R)) mod m) with F(i, R) the first 8 bytes, big-endian, of
// AES-128 under the first 16 bytes of K("iS3000 dongle-less permutation") or K("3C permutation") of
// the block i || 0^7 || R (8 bytes big-endian), taken mod m. A permutation maps distinct seq to
// distinct codes, which a hash cannot do in a 40-bit code space (by the birthday bound a hash would
// collide after about 2^20 codes). The Full Computer Name and the domain name are validated but do
// not enter the code: the guide lets the FCN change without changing the code, and makes 3C codes
// unique even when two sites share a domain name. Store the normalised name beside the code
// ([NormalizeComputerName], [NormalizeDomainName]) and bind it in the license.
//
// seq is the issuer's: a number it never uses twice for the same derivation, such as a ledger
// sequence. The SV9500 derivations use 92 bits of HMAC output, so distinct inputs collide with
// probability about n^2/2^93. A test derives 1,000,000 codes per derivation from distinct inputs and
// requires them all distinct.
//
// [NewUIP] (no secret: the LMC makes it from a random source) gives "LM" + 24 random hex digits + 4
// check digits. The 24 digits are 12 bytes read from the source, in upper-case hex; a draw whose first
// two digits are "01", "22", "35" or "36" is discarded and 12 more bytes are read (at most 64 draws),
// so that a UIP code is never read as the LMC form of a PBX code.
//
// # Check characters
//
// A derived code carries k check characters computed ISO 7064-style: starting from a per-system value
// r0 = (first 8 bytes of SHA-256("lmskit/keycode/v1/check/" + tag), big-endian) mod p, the payload
// characters and the check characters, read as digits in radix N ("0-9A-Za-z" order), must give
// r = (r*N + digit) mod p ending at 1. To make them, run r over the payload, multiply by N^k (mod p), and
// write c = (1 - r) mod p, the value in [0, p), as k radix-N digits, most significant first (N^k >= p
// in every scheme, so c always fits). The schemes: iS3000 dongle-less N=10, p=97, k=2 over the 12
// digits; 3C and 3C CAT2 N=16, p=251, k=2 over the 10 hex digits; SV9500 "35V"/"35M" N=62, p=3833,
// k=2 over the 26 characters after "35"; UIP N=16, p=65521, k=4 over the 28 hex digits. With p prime,
// p >= N and p not dividing N-1, every single-character substitution and every swap of adjacent
// characters is detected; other errors pass with probability about 1/p. Tags: "iS3000 dongle-less",
// "3C", "3C CAT2", "SV9500 Standard Server", "SV9500 Small Enterprise", "UIP".
//
// [Code.Verify] checks them and needs no secret: it catches typing errors, not forgeries. Factory
// codes (read from a CPU board, dongle or label; their own check pairs are unpublished) and temp keys
// have no lmskit check characters: Verify reports [ErrNoCheck]. The guide's own LMS-generated 3C and
// dongle-less codes fail with [ErrCheck], as they were not derived by lmskit. A typo in the "V" or
// "M" marker of a derived SV9500 code turns it into a factory-form code, which Verify cannot check.
//
// # Software key codes
//
// An SKC is 20 characters: 2 random, the 2-character system code ("19" SV8100, "22" SV8500 and
// SR-MGC, "34"/"44" SV9100 CP10/CP20, "35" SV9500, "IS" iS3000, "DE" DECT), then 16 random, the
// random ones from the 30 symbols of [SKCAlphabet], drawn uniformly by rejection sampling.
//
// # Encodings
//
// A Code encodes with its system: text "SV8100:190400324412"; JSON
// {"system":"SV8100","code":"190400324412"}; CBOR the definite-length array of two text strings
// [system, code] with shortest heads. The zero Code is empty text, JSON null and CBOR null. Decoders
// accept exactly these forms (exact System value, canonical code) and nothing else, so an encoding
// is never malleable, and they leave the Code unchanged on error.
//
// # Performance
//
// Parse of a canonical code does not allocate (a test pins it); normalising input (the QR form)
// costs one allocation. BENCHMARKS.md has the figures, each beside its floor from the same run (a
// bare map lookup of the same string), with the machine and the command:
//
//	go test -run '^$' -bench . -benchtime=1s ./keycode/
//
// In the sessions recorded there Parse took 25 to 31 ns for a 12-character code and 49 to 64 ns
// for a 28-character code, 1.4 to 2.3 and 2.7 to 4.0 times the map lookup beside it.
//
// # Security
//
// The issuer secret never leaves the [Deriver] and never appears in an error. Without it nobody can
// tell which code a given input yields; anyone can compute check characters, so a code that passes
// Verify is not thereby genuine: the server compares against its ledger or derives again.
//
// # Compatibility
//
// The grammars, canonical forms, derivation algorithms (version "v1" in every label) and check
// schemes are part of the API: a code derived or encoded by this version parses, verifies and
// decodes the same in every later version. A change of algorithm gets a new label version.
package keycode
