// Package entitlement is the license server's ledger: the books of a License Management Server
// (LMS), with the rules enforced in the library rather than in each service that links it.
//
// # Getting started
//
// Open the durable default store with [OpenFile] (or [NewMemStore] in tests), wrap it with [New],
// and [Ledger.Bootstrap] the vendor's first administrator. The administrator adds partners
// (distributors and dealers/resellers), their users and roles, and the shipping allowances that
// link a distributor to a dealer, and ships orders into partners' license bins. A partner's user
// then follows the guide's general way of working:
//
//	cust, _ := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Tons Business"})
//	loc, _ := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "Location A",
//		System: "SV8100", HWKC: "191000343919"})
//	lines, _ := l.Attach(ctx, user, loc.ID, picks)          // bin → attached, each line gets an SKC
//	file, _ := l.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true})
//
// Each attached line gets its software key code at attach (the guide's screenshots show it on
// attached lines) and keeps it through activation. Detach returns attached lines to the bin;
// activation is final and issues the location's license file through the configured [Issuer]
// ([LicenseIssuer] signs lmskit license files with the vendor's key and packs them in
// <HWKC>-svi.zip); Regenerate re-issues it from all activated lines with the next serial;
// GenerateDemo issues a time-limited demo file while the location's demo counter lasts. A
// distributor reships bin lines to a dealer it holds an allowance for and may impersonate that
// dealer's users ([Ledger.Impersonate]; the identity reads IMP:<distributor user>/<dealer user>).
//
// # Rules enforced
//
//   - Every operation takes an [Actor] and is refused with [ErrNotAllowed] when the user lacks the
//     role (LMS user; administrator for shipping, partners, users and allowances) or the object
//     belongs to another partner. Impersonation needs a distributor user and the shipping
//     allowance distributor→dealer, checked again on every operation; reshipment needs a
//     distributor (so never while impersonating a dealer) and the allowance.
//   - Conservation: for every shipped line, Shipped equals InBin plus Attached, Activated,
//     ReshippedOut and Returned; the location lines, reshipped lines and bin index agree with
//     it ([CheckConservation]). Attach never takes more than the bin holds, whatever the
//     concurrency.
//   - Every change is one [Store] transaction with one [AuditRecord] (who, as whom, operation,
//     ids, before and after quantities, time) appended in the same transaction to a hash chain
//     ([VerifyAudit]). A refused operation changes nothing and records nothing.
//   - Hardware key codes are validated per system (Config.HostID) and belong to one location
//     only; parts must fit the location's system per the [Catalog]; SWA units never go on a
//     location; an order (partner, PO, SO) ships once.
//   - Per-system rules (SR-MGC, SV9500 models, DECT, BX/OVOC, external products…) plug in as
//     [Rules] per system name, consulted on create-location, attach and activate.
//
// # Security
//
// The ledger trusts the [Actor] it is given: the service authenticates the user and passes the
// login. Everything else is checked inside the transaction of the operation, so a role or
// allowance revoked a moment ago is already in force. The audit chain detects an edited, removed
// or reordered record; with Config.AuditKey (HMAC-SHA-256) it also resists someone who can write
// the store but lacks the key, and without it the head ([Ledger.AuditHead]) should be anchored
// outside. The issuer key lives with the service, never in source or in the store.
//
// # Stores
//
// [Store] is a small transactional key-value interface with no bbolt types: [NewMemStore] for
// tests, [OpenFile] (bbolt, one file, fsync per commit, optional group commit) as the embedded
// default, and entitlement/pgstore on PostgreSQL (SERIALIZABLE, retried) past one machine.
// entitlement/storetest is the conformance suite all three pass. No operation costs time proportional to the whole ledger: lookups go through indexes
// (HWKC, SKC, PO, SO, partner, customer, location, source line); listings cost what the partner
// holds.
//
// # Catalog
//
// The embedded catalog (data/catalog.json, [DefaultCatalog]) lists every part number the LMS
// guide shows, with name, kind (count, version, flag), system types, PBX or application part,
// SWA eligibility, demo quantity and successor; [ParseCatalog] loads another.
package entitlement
