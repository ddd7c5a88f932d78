package entitlement

import (
	"fmt"
	"io"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
)

// Issuer builds and signs a location's license file. The ledger calls it inside the activation
// (or regeneration, or demo) transaction: if it fails, nothing changes. It must be deterministic
// for equal requests and must not keep the request.
type Issuer interface {
	Issue(req IssueRequest) (Issued, error)
}

// IssueRequest is everything an [Issuer] needs for one file.
type IssueRequest struct {
	Location Location
	System   System
	Lines    []IssueLine // in SKC order
	Serial   uint64      // the location's file serial, 1 for the first file
	Issued   time.Time
	NotAfter time.Time // zero for a permanent file; the end of a demo or fixed-term file
	Demo     bool
	// Type is the entitlement type of a fixed-term file (the location's lines of one type and
	// end date, NotAfter); "" for a permanent or demo file.
	Type license.EntitlementType
	// Supersede is set when lines of an earlier file of the same kind (the location's permanent
	// file, or its file of this type and end) were revoked: the file must end what the earlier
	// ones granted on a device that installs it ([LicenseIssuer] writes license.File.Supersedes).
	Supersede bool
	// Pair is the secondary location of a redundant pair (a BX9000/OVOC secondary, with its own
	// code and product key), named by the system's [IssueRules]: the container holds one file per
	// machine. Nil otherwise.
	Pair *Location
	// Container is the download form the file is packed in, from the system's [IssueRules];
	// [ContainerSVI] for systems without them.
	Container Container
}

// IssueLine is one line of a file to issue.
type IssueLine struct {
	SKC       string
	Part      string
	Name      string
	Kind      PartKind
	Qty       int64
	PO, SO    string
	Activated time.Time
}

// KeycodeHostID validates code as a hardware key code of the catalog system's keycode grammar
// (keycode.Parse) and returns its canonical form. system is any spelling [Catalog.ParseSystem]
// accepts. It is the ledger's default Config.HostID.
func KeycodeHostID(cat *Catalog) func(system, code string) (string, error) {
	return func(system, code string) (string, error) {
		sys, err := cat.ParseSystem(system)
		if err != nil {
			return "", err
		}
		c, err := keycode.Parse(sys.Keycode, code)
		if err != nil {
			return "", err
		}
		return c.String(), nil
	}
}

// newUUID returns a random (version 4) UUID in its canonical lower-case form.
func newUUID(r io.Reader) (string, error) {
	var u [16]byte
	if _, err := io.ReadFull(r, u[:]); err != nil {
		return "", fmt.Errorf("entitlement: uuid: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hx = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hx[c>>4], hx[c&15]
		j += 2
	}
	return string(b[:]), nil
}
