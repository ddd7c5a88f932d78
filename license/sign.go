package license

import (
	"errors"
	"strconv"
	"time"
	"unsafe"

	"github.com/lmskit/lmskit/signing"
)

// ContentType is the media type written to the protected header of every license file. [Open]
// requires it, so that nothing else the same key signs can pass for a license.
const ContentType = "application/vnd.lmskit.license+cbor"

// Sign validates f, encodes its payload (see FORMAT.md) and signs it with key as a tagged COSE_Sign1
// message whose protected header holds alg EdDSA, the content type [ContentType] and the key's
// KeyID. The result is the license file. Sign is deterministic: the same File and key always give
// the same bytes. An invalid File returns an error matching [ErrInvalid] and nothing is signed;
// so does a file whose signed form would be over [MaxFileSize], which [Open] would refuse (at most
// [MaxLines] lines, and at most MaxFileSize bytes signed: with every field of every line at its
// longest, a file reaches MaxFileSize at 2,961 lines; split such a location's lines over more files).
func (f *File) Sign(key *signing.PrivateKey) ([]byte, error) {
	if key == nil {
		return nil, errors.New("license: sign: nil key")
	}
	payload, err := f.MarshalPayload()
	if err != nil {
		return nil, err
	}
	opts := &signing.Sign1Options{ContentType: ContentType}
	tooBig := func(n int) error {
		return fieldErr("size", "file "+quote(f.Serial)+" of "+strconv.Itoa(len(f.Lines))+" lines would be "+strconv.Itoa(n)+
			" bytes signed, over the cap of "+strconv.Itoa(MaxFileSize)+" that Open accepts; split its lines over more files")
	}
	if len(payload) > MaxFileSize-1024 {
		// Near the cap: the envelope's own bytes decide. They are those of an empty payload, less
		// its one-byte head, plus this payload's head.
		probe, err := signing.Sign1(key, nil, opts)
		if err != nil {
			return nil, &wrapped{"license: sign: ", err}
		}
		if n := len(probe) - 1 + len(appendHead(nil, majBytes, uint64(len(payload)))) + len(payload); n > MaxFileSize {
			return nil, tooBig(n)
		}
	}
	signed, err := signing.Sign1(key, payload, opts)
	if err != nil {
		return nil, &wrapped{"license: sign: ", err}
	}
	if len(signed) > MaxFileSize {
		return nil, tooBig(len(signed))
	}
	return signed, nil
}

// Open verifies signed against the keyring and decodes the license file it holds.
//
// It refuses, changing nothing: input over [MaxFileSize] (before any parsing); a message that is not
// COSE_Sign1, or whose signature does not hold under a trusted key (the signing package's sentinels,
// such as signing.ErrSignature, signing.ErrUnknownKey or signing.ErrRevoked, come back wrapped); a
// key whose validity window does not contain the file's Issued time (signing.ErrOutsideWindow); a
// content type other than [ContentType]; a payload that does not follow the format exactly
// ([ErrMalformed]); and a payload that breaks a rule of the file ([ErrInvalid]).
//
// Open does not look at the host or the clock: call [File.Check] for that.
func Open(signed []byte, kr *signing.Keyring) (*File, error) {
	var f *File
	err := openSigned(signed, kr, "file", "open", MaxFileSize, ContentType, func(payload []byte) (time.Time, error) {
		// The payload is a copy that Verify hands to us alone (its documentation says the caller
		// owns it) and nothing writes to it again, so the File's text may alias it. Should it
		// ever alias the caller's signed bytes instead, copy.
		var err error
		if f, err = decodeValid(payload, !overlaps(payload, signed)); err != nil {
			return time.Time{}, err
		}
		return f.Issued, nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// openSigned verifies a signed message of this package (a license file, a time token) against the
// keyring: at most maxSize bytes, checked before parsing; the exact envelope the package writes; a
// signature under a key the keyring trusts at the signing time decode reads from the payload (its
// error, if any, is returned as it is); and the content type. what names the thing in a
// FormatError ("file", "time token"), op the operation in other errors ("open", "open time token").
func openSigned(signed []byte, kr *signing.Keyring, what, op string, maxSize int, contentType string, decode func(payload []byte) (time.Time, error)) error {
	if len(signed) > maxSize {
		return &FormatError{What: what, Offset: -1, Reason: strconv.Itoa(len(signed)) + " bytes, over the cap of " + strconv.Itoa(maxSize)}
	}
	if kr == nil {
		return errors.New("license: " + op + ": nil keyring")
	}
	var decErr error
	v, err := kr.Verify(signed, &signing.VerifyOptions{
		RequireCanonical: true,
		SigningTime: func(payload []byte) (time.Time, error) {
			var t time.Time
			t, decErr = decode(payload)
			return t, decErr
		},
	})
	if decErr != nil {
		return decErr
	}
	if err != nil {
		return &wrapped{"license: " + op + ": ", err}
	}
	if v.ContentType != contentType {
		ct := v.ContentType
		if ct == "" && v.ContentFormat >= 0 {
			ct = "content format " + strconv.Itoa(v.ContentFormat)
		}
		return &FormatError{What: what, Offset: -1, Reason: "content type " + quote(ct) + " is not " + quote(contentType)}
	}
	return nil
}

// decodeValid decodes a payload and checks every rule of the file. owned says the caller hands
// the payload over for good (see decodePayloadOwned).
func decodeValid(payload []byte, owned bool) (*File, error) {
	if len(payload) > MaxFileSize {
		return nil, &FormatError{What: "payload", Offset: -1, Reason: "over the size cap"}
	}
	var f *File
	var err error
	if owned {
		f, err = decodePayloadOwned(payload)
	} else {
		f, err = decodePayload(payload)
	}
	if err != nil {
		return nil, err
	}
	if err := f.validateDecoded(); err != nil {
		return nil, err
	}
	return f, nil
}

// UnmarshalPayload decodes and validates a payload (the bytes [File.MarshalPayload] returns)
// without any signature. It is for tools that inspect payloads; a device must use [Open].
func UnmarshalPayload(payload []byte) (*File, error) { return decodeValid(payload, false) }

type wrapped struct {
	prefix string
	err    error
}

// Error returns the message.
func (w *wrapped) Error() string { return w.prefix + w.err.Error() }

// Unwrap returns the error this one wraps.
func (w *wrapped) Unwrap() error { return w.err }

// overlaps reports whether a and b share memory.
func overlaps(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return a0 < b0+uintptr(len(b)) && b0 < a0+uintptr(len(a))
}
