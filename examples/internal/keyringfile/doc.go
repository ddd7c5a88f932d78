// Package keyringfile reads the keyring file of the lmskit command line and the LMC daemon: the
// vendor's public keys a verifier trusts, with their validity windows and revocations, in a text
// file a person can read, diff and review. Load the file and hand its keys to the verifier:
//
//	kr, err := keyringfile.Load(path) // the file named by -keyring
//	if err != nil {
//		return err // a *keyringfile.ParseError names the line
//	}
//	payload, kid, err := kr.Keyring.Verify1(msg, nil) // or license.Open(signed, kr.Keyring)
//
// [Format] writes a file from [Entry] values, and [Parse] reads one from memory. The package's
// Example writes a keyring with a rotated key and verifies with it; its keys are fixed test keys,
// and real keys never live in source.
//
// # Format
//
// The file is a sequence of PEM "PUBLIC KEY" blocks (PKIX, RFC 8410, as `openssl pkey -pubout` and
// `lmskit keygen` write them), each optionally carrying RFC 1421 headers before its base64 body.
// Between blocks only blank lines and comment lines starting with "#" are allowed.
//
//	# lmskit keyring: the vendor keys license files may be signed with
//	-----BEGIN PUBLIC KEY-----
//	Key-ID: 7e6f0c2e4b8d3a1f9c0b5d2e8a4f6b13
//	Not-Before: 2026-01-01T00:00:00Z
//	Not-After: 2027-01-01T00:00:00Z
//
//	MCowBQYDK2VwAyEA...
//	-----END PUBLIC KEY-----
//
// Headers (each at most once, names case-sensitive):
//
//   - Key-ID: the key's id (32 hex digits, signing.PublicKey.KeyID); when present it must match
//     the key, which catches a key pasted under the wrong label.
//   - Not-Before, Not-After: the validity window on the signing time (a license's issue time),
//     RFC 3339; Not-After is exclusive. Absent means unbounded. This is how keys rotate: the old
//     key gets a Not-After, the new one a Not-Before at the same instant.
//   - Revoked: the key is revoked outright, whatever time a file claims (its value, an RFC 3339
//     time or "yes", is for people). A revoked key is never trusted, even when the same key
//     appears again elsewhere in the file.
//   - Comment: free text for people.
//
// Any other header, a malformed value, a block of another type, a key that is not Ed25519, text
// outside the blocks that is not a comment, or a file with no key at all is an error naming the
// line.
//
// # Security
//
// The file decides which license files verify: whoever can write it can add a key of their own.
// Keep it writable by the administrator only. It holds public keys only, so reading it reveals
// nothing; a file over [MaxSize] bytes is refused before it is parsed.
package keyringfile
