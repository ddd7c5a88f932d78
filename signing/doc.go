// Package signing holds lmskit's Ed25519 keys and key ids, their PEM files, a keyring of trusted keys
// that rotates and revokes, COSE_Sign1 signing and verification, and PEM-style armor. The license
// server signs with the vendor's private key; a device verifies with a keyring of the vendor's
// public keys:
//
//	vendor, err := signing.ParsePrivateKeyPEM(privatePEM) // the license server's key file
//	if err != nil {
//		return err
//	}
//	msg, err := signing.Sign1(vendor, payload, &signing.Sign1Options{ContentType: "application/cbor"})
//	if err != nil {
//		return err
//	}
//
//	pub, err := signing.ParsePublicKeyPEM(publicPEM) // on the device: the vendor's public key
//	if err != nil {
//		return err
//	}
//	kr := signing.NewKeyring()
//	if err := kr.Add(pub.KeyID().Bytes(), pub, signing.Window{}); err != nil {
//		return err
//	}
//	got, kid, err := kr.Verify1(msg, nil) // the payload only if the signature holds
//
// The package's Example runs it with a fixed test key; real keys never live in source.
//
// # Signing and verifying
//
// A signer loads its key with [ParsePrivateKeyPEM] (or makes one with [GenerateKey]) and calls [Sign1]:
// the result is a tagged COSE_Sign1 message (RFC 9052) with alg EdDSA (-8, RFC 9053), the key's [KeyID]
// as kid and the optional content type in the protected header. A verifier builds a [Keyring] with
// [NewKeyring] and [Keyring.Add], and calls [Keyring.Verify1], which returns the payload only when the
// signature holds under a trusted key; [Keyring.Verify] also reports which key verified and, given a
// way to read the signing time from the payload, enforces the keys' validity windows.
//
// # Key ids
//
// A [KeyID] is the first 16 bytes of the key's RFC 9679 COSE Key Thumbprint (SHA-256), written as 32
// hexadecimal digits. Kids in messages from elsewhere may be any bytes; a keyring files keys under
// whatever kid it is given, and several keys may share one.
//
// # Rotation and revocation
//
// Each trusted key carries a [Window] on the signing time. To rotate, add the new key with NotBefore
// set to the switch-over and re-add the old key with NotAfter set to the same instant: files the old
// key signed before then keep verifying, and files signed after it must come from the new key. The
// signing time is not part of the COSE message; it lives in the payload (a license's issue time), so
// the verifier supplies [VerifyOptions.SigningTime] to read it, after the signature has held. A
// compromised key is revoked with [Keyring.Revoke]: its kid, and the keys filed under it, are refused
// whatever time the payload claims.
//
// # Security
//
// The verifier takes the algorithm from the trusted key (Ed25519) and requires the protected header to
// name it (EdDSA -8 or Ed25519 -19); it refuses unknown critical headers, checks the signature over the
// protected header bytes exactly as received, and returns nothing but an error unless the signature
// holds. Messages are read under a size cap with strict CBOR rules (no indefinite lengths, no duplicate
// labels, bounded nesting), and no input makes it panic. Armor headers are not signed: take nothing from
// them. Errors never carry key material.
//
// The signature covers the protected header, the payload and the external AAD, not the tag, the
// unprotected header or how the outer CBOR heads are written: a third party can change those bytes
// without breaking the signature. Where the message bytes must be unique (a file that is hashed or
// compared), verify with [VerifyOptions.RequireCanonical], which accepts only the exact form Sign1
// writes.
//
// # Compatibility
//
// Messages are plain RFC 9052 COSE_Sign1, so any conforming COSE library verifies what Sign1 writes,
// and Verify1 accepts conforming EdDSA COSE_Sign1 messages from elsewhere (tagged or not, kid in
// either bucket). PEM files are PKCS#8 "PRIVATE KEY" and PKIX "PUBLIC KEY" as OpenSSL reads and writes
// them (RFC 8410). Every message a released version signed stays verifiable by later versions.
package signing
