// Package staffroles keeps the roles that packages built on the ledger define for the vendor's
// own staff (the pre-sales approvers, the deal-registration approvers): which vendor user holds
// which of a package's roles, in the package's own extension bucket, granted by an administrator
// inside the package's audited operation. A package's roles are a bit set it defines.
package staffroles

import (
	"fmt"

	"github.com/lmskit/lmskit/entitlement"
)

// record is a user's roles as stored.
type record struct {
	Roles uint32 `cbor:"1,keyasint"`
}

// Get returns the roles user holds in bucket (none for a user never granted any).
func Get(x *entitlement.Op, bucket, user string) (uint32, error) {
	var r record
	if user == "" {
		return 0, nil
	}
	if _, err := x.Get(bucket, user, &r); err != nil {
		return 0, err
	}
	return r.Roles, nil
}

// Set replaces the roles user holds in bucket, as an administrator's act: the actor must be an
// administrator ([entitlement.ErrNotAllowed]); user must be a user of the vendor and roles only
// bits of valid ([entitlement.ErrInvalid]). The audit record names the user and the roles.
func Set(x *entitlement.Op, bucket, user string, roles, valid uint32, describe func(uint32) string) error {
	if err := x.Need(entitlement.RoleAdmin, "grant staff roles"); err != nil {
		return err
	}
	if roles&^valid != 0 {
		return fmt.Errorf("%w: unknown role bits %#x", entitlement.ErrInvalid, roles&^valid)
	}
	u, ok, err := x.UserOf(user)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: user %q", entitlement.ErrNotFound, user)
	}
	p, _, err := x.PartnerOf(u.Partner)
	if err != nil {
		return err
	}
	if p.Kind != entitlement.KindVendor {
		return fmt.Errorf("%w: user %q is not the vendor's: staff roles are for the vendor's users", entitlement.ErrInvalid, user)
	}
	x.Ref("user", user)
	x.Note("roles: %s", describe(roles))
	if roles == 0 {
		return x.Delete(bucket, user)
	}
	return x.Put(bucket, user, record{Roles: roles})
}
