package extop

import (
	"fmt"

	"github.com/lmskit/lmskit/entitlement"
)

// The staff roles of a package are a bit set it defines: which vendor user holds which of them is
// kept in the package's own extension bucket.

// record is a user's roles as stored.
type record struct {
	Roles uint32 `cbor:"1,keyasint"`
}

// Roles returns the roles user holds in bucket (none for a user never granted any).
func Roles(x *entitlement.Op, bucket, user string) (uint32, error) {
	var r record
	if user == "" {
		return 0, nil
	}
	if _, err := x.Get(bucket, user, &r); err != nil {
		return 0, err
	}
	return r.Roles, nil
}

// SetRoles replaces the roles user holds in bucket, as an administrator's act: the actor must be an
// administrator ([entitlement.ErrNotAllowed]); user must be a user of the vendor and roles only
// bits of valid ([entitlement.ErrInvalid]). The audit record names the user and the roles.
func SetRoles(x *entitlement.Op, bucket, user string, roles, valid uint32, describe func(uint32) string) error {
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

// Staff reports whether the actor is the vendor's staff for a package: an administrator, or a user
// holding a role of mask in bucket, acting as itself (staff never act through impersonation).
func Staff(x *entitlement.Op, bucket string, mask uint32) (bool, error) {
	if x.Admin() {
		return true, nil
	}
	return Holds(x, bucket, mask)
}

// Holds reports whether the actor, acting as itself, holds a role of mask in bucket.
func Holds(x *entitlement.Op, bucket string, mask uint32) (bool, error) {
	if x.Actor().As != "" {
		return false, nil
	}
	r, err := Roles(x, bucket, x.User().ID)
	return r&mask != 0, err
}
