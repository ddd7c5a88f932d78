// Package entitlement is the license server's ledger: the books of a License Management Server
// (LMS), with the rules enforced in the library rather than in each service that links it. A
// partner's user follows the guide's general way of working on a ledger:
//
//	cust, err := l.CreateCustomer(ctx, user, entitlement.Customer{Name: "Tons Business"})
//	if err != nil {
//		return err
//	}
//	loc, err := l.CreateLocation(ctx, user, entitlement.Location{Customer: cust.ID, Name: "Location A",
//		System: "SV8100", HWKC: "191000343919"})
//	if err != nil {
//		return err
//	}
//	var picks []entitlement.Pick
//	for _, s := range shipped { // lines of the partner's bin
//		picks = append(picks, entitlement.Pick{Line: s.ID, Qty: s.InBin})
//	}
//	if _, err := l.Attach(ctx, user, loc.ID, picks); err != nil { // bin → attached, each line gets an SKC
//		return err
//	}
//	file, err := l.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true})
//
// # Getting started
//
// Open the durable default store with [OpenFile] (or [NewMemStore] in tests), wrap it with [New],
// and [Ledger.Bootstrap] the vendor's first administrator. The administrator adds partners
// (distributors and dealers/resellers), their users and roles ([Role] tells what each allows),
// and the shipping allowances that link a distributor to a dealer, and ships orders into
// partners' license bins ([Ledger.Ship]). A partner's user then works as above (the package's
// Example runs it whole).
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
//   - Every operation, reads included, takes an [Actor] and is refused with [ErrNotAllowed] when
//     the user lacks the role (LMS user; administrator for shipping, partners, users and
//     allowances). To a partner's user another partner's customers, locations, lines and codes do
//     not exist: they get exactly the [ErrNotFound] of an unknown one, and no message names
//     another partner's ids. An administrator (the vendor's license desk) sees every partner's
//     books (lookups, locations, downloads, the audit log) and performs the desk's actions on
//     a partner's locations: shipping, Regenerate, and the per-system desk operations of package
//     entitlement/systems (hardware replacement, an external product's file, a second LAN1 IP,
//     the DECT deactivation confirmation, and edits, migration, computer name changes and DECT
//     upload on the partner's behalf). It may not spend or return a partner's licenses: Attach
//     (from its own bin only), Detach, Activate and GenerateDemo on another partner's location
//     are refused with ErrNotAllowed; nor reship or return from another partner's bin.
//     Impersonation needs a distributor user and the shipping allowance distributor→dealer,
//     checked again on every operation; reshipment needs a distributor (so never while
//     impersonating a dealer) and the allowance.
//   - Conservation: for every shipped line, Shipped equals InBin plus Attached, Activated,
//     ReshippedOut, Returned, Revoked and Cancelled; the location lines, reshipped lines and bin
//     index agree with it ([CheckConservation]). Attach never takes more than the bin holds,
//     whatever the concurrency.
//   - Every order line carries an entitlement type (license.EntitlementType, the one table of
//     types and their categories; T by default): a fixed-term type needs its end, T has none.
//     Old records without a type read as T, permanent.
//   - Every change is one [Store] transaction with one [AuditRecord] (who, as whom, operation,
//     ids, before and after quantities, time) appended in the same transaction to a hash chain
//     ([VerifyAudit]). A refused operation changes nothing and records nothing. A large ledger
//     is checked from a [Checkpoint] of an earlier check ([VerifyAuditFrom],
//     [CheckConservationFrom]): only what changed since is read.
//   - Hardware key codes are validated per system (Config.HostID) and belong to one location
//     only (the guide's rule); parts must fit the location's system per the [Catalog]; SWA units
//     never go on a location; an order (partner, PO, SO) ships once. Identifiers are valid UTF-8
//     without control characters.
//   - Per-system rules plug in as [Rules] per system name; see "Per-system rules" below.
//
// # Per-system rules
//
// The core never branches on a particular system: what differs per system is in the [Rules]
// registered for it in Config.Rules, consulted on create-location, attach and activate
// ([ChildRules] adds child locations, [ExternalRules] marks files that come from outside,
// [IssueRules] chooses the container and prepares a file, [RuleView].Warn warns without refusing).
// Package entitlement/systems holds the LMS guide's rules (systems.GuideRules: SV9100 ranges,
// SR-MGC and LMC children, the three SV9500 models, iS3000, 3C, DECT, BX/OVOC, external products)
// and the operations of particular systems (the SV9500 LAN1 IP, an iS3000 computer name, hardware
// replacement, the SV9100 migration, the DECT upload, an external product's file), built on [Op].
//
// # Entitlement types and a location's files
//
// A license file has one term, so a location's activated lines are issued in one file per term:
// its permanent file (type T) and, beside it, one file per entitlement type and end date of its
// fixed-term lines, each carrying the type and its end (NotAfter) so that a device ends it on
// time. Every issue (Activate, Regenerate, [Op.Reissue]) re-issues them all; the download
// ([Ledger.Download], and what Activate and Regenerate return) holds every current file, packed by
// the issuer ([Packer]; [LicenseIssuer] puts them in one <HWKC>-svi.zip) and listed in
// [Issued].Contents; [LocationView] shows the permanent file and the fixed-term ones. A location
// whose file comes from outside, or whose container holds one file per machine (BX/OVOC), takes
// no fixed-term line. Once a line is revoked ([Op.RevokeLines]), the files of its kind are issued
// with [IssueRequest].Supersede, so that a device that installs them stops granting what the
// earlier files held (license file format version 2); a file that lost every line is issued
// empty. The delivery statuses, revocation and cancellation as operations, annual fees and the
// renewal and expiry notices are in package entitlement/lifecycle; temporary pre-sales licenses in
// entitlement/presales; deal registration in entitlement/dealreg.
//
// # System types
//
// A location's system is one of the catalog's system types ([Catalog.Systems], the ledger's
// vocabulary), each of which names the keycode system its codes follow (package keycode's
// vocabulary, coarser: one SV9500 for the three catalog models). [Catalog.ParseSystem] reads a
// name in either: CreateLocation and everything else that takes a system name accept the
// catalog's names and aliases ignoring case and spaces ("License Manager Client" for LMC) and
// every keycode spelling that one catalog system maps to ("iS3000 / SIP@Net Server", "SIP@Net
// Server"); an ambiguous name ("SV9500", "SV9100") or an unknown one is refused with a
// [*SystemError] naming the candidates and the valid names. The [System] type's documentation
// lists the shipped catalog's mapping.
//
// # Building on the ledger
//
// Packages above the core (Software Assurance in lmskit/swa, the per-system operations in
// entitlement/systems, the second vendor's workflows in entitlement/lifecycle, entitlement/presales
// and entitlement/dealreg) run their operations through one extension
// point, [Ledger.Update] and [Ledger.View]: the function runs inside the ledger's own Store
// transaction with the actor resolved and checked (impersonation included), the operation's time,
// and one audit record in the same hash chain. Through [Op] it checks roles and scope (Need,
// NeedAny, LMSUser, Visible), keeps its own records in buckets of its own (Get, Put, Delete, Scan:
// CBOR with the ledger's strict decoder), reads the core's books with the core's scope rules
// (Location, Lines, Customer, Shipped, DemoFiles), calls the core's operations inside the same
// transaction (Ship, Attach, Activate, Regenerate), uses the ledger's general capabilities
// (HostID, SaveLocation, Rekey and RekeySecondary to move a location to a new code, Reissue,
// ActivateLines, ShipActivated for licenses that exist already, CarryOver for a migration's
// history, PutExternalFile, Detach, RevokeLines, CancelLines and CancelBin to end entitlements,
// SourceLines, FixedTermLines for a sweep by end date, IssueFile for a device that is no location),
// adds references and notes to the audit record, and emits events ([Event]) that Config.Events
// receives after the commit. A refusal anywhere undoes everything.
// [Ledger.HandleUnits] routes the SWA unit lines of a shipped order to the Software Assurance
// book in the shipment's transaction.
//
// # Backup, export and import
//
// [Ledger.Backup] writes a consistent copy of a running ledger from one read transaction, without
// stopping it; [Export] does the same for a store, and [Import] reads the copy into an empty store
// (the embedded file, memory or PostgreSQL: the format is the same for all). The format is
// versioned JSON lines, one record per line, documented at [ExportFormat]: every record of the
// core and of the packages built on it, and no secret (the issuer key, the audit key and the
// deriver secret are never in the store). Import rebuilds the indexes and, before it commits,
// checks conservation, the audit chain and every shipped line's quantities against the audit
// log, so what it restores is a ledger that verifies. [Ledger.Snapshot] is a test tool.
//
// # Serving the ledger
//
// A service (entitlement/httpapi is one) authenticates its callers with API tokens the
// administrator issues ([Ledger.IssueToken]; the ledger keeps only their hashes, they expire and
// are revoked at once) or impersonation tokens ([Ledger.IssueImpersonationToken]); with
// [WithToken] every operation authenticates the token inside its own transaction. Retried
// requests are made safe by [Ledger.Idempotent]: an idempotency key's record and response commit
// with the operations they guard. [Ledger.Partners], [Ledger.Users], [Ledger.Allowances] and
// [Ledger.Tokens] list what a caller may see, a page at a time.
//
// # Time tokens
//
// A PBX that booted with no plausible clock holds its time-limited grants until the vendor confirms
// the time; one whose device time ran ahead after a forward glitch needs it pulled back.
// [Ledger.IssueTimeToken] answers the device's challenge (package license's
// Device.TimeChallenge) with a token signed by the issuer's key ([TimeTokenIssuer];
// [LicenseIssuer] is one): any LMS user of the location's partner may ask for a token that only
// confirms the time; a set-back (bounded by Config.MaxTimeTokenSetBack) or a re-armed trial is the
// administrator's decision with a reason, and every token is audited by its serial.
//
// # Security
//
// The ledger trusts the [Actor] it is given: the service authenticates the user and passes the
// login. Everything else is checked inside the transaction of the operation, so a role or
// allowance revoked a moment ago is already in force (the ledger reuses an actor's resolution
// only while the audit head shows that no operation has written a user, partner or allowance
// since, whichever ledger on the store wrote it). The audit chain detects an edited, removed
// or reordered record; with Config.AuditKey (HMAC-SHA-256) it also resists someone who can write
// the store but lacks the key, and without it the head ([Ledger.AuditHead]) should be anchored
// outside. The issuer key lives with the service, never in source or in the store.
//
// What a partner's user can learn of other partners: nothing through reads (another partner's
// objects answer the not-found of unknown ones), and, through CreateLocation, that a hardware key
// code is registered: the guide makes a code belong to one location, so a second location for it
// is refused, with [ErrExists] and a message that names the code and nothing else (not the
// partner, the customer, the location or any id).
//
// # Stores
//
// [Store] is a small transactional key-value interface with no bbolt types: [NewMemStore] for
// tests, [OpenFile] as the embedded default (Pebble in one directory: one write-ahead log sync per
// commit, concurrent commits grouped under one sync with no delay; [MigrateFile] copies a ledger
// file of the earlier bbolt store, which OpenFile still opens), and entitlement/pgstore on
// PostgreSQL (SERIALIZABLE, retried) past one machine. [Bulk] runs many operations at once so
// that they share log syncs. entitlement/storetest is the conformance suite all three pass. No
// operation costs time proportional to the whole ledger: lookups go through indexes (HWKC, SKC,
// PO, SO, partner, customer, location, source line); listings cost what the partner holds. A
// location's lines are stored together under it, so an operation on a location reads them in one
// scan.
//
// # Compatibility
//
// A ledger written by an earlier version opens and reads as it was written, on every store: the
// earlier layout of location lines (each under its software key code) is read beside the current
// one and a line moves to the current one when an operation changes it; counters kept as records
// of their own move into the audit head at the first operation that counts; files keep their
// download until they are issued again. An earlier version cannot work on a ledger this one has
// written (it refuses the audit head's new fields as corrupt): upgrade every server of a shared
// store together. The export format is unchanged (version 1), with one counter more ("actors").
//
// # Catalog
//
// The embedded catalog (data/catalog.json, [DefaultCatalog]) lists every part number the LMS
// guide shows, with name, kind (count, version, flag), system types, PBX or application part,
// SWA eligibility, demo quantity and successor, and the system types with their keycode systems
// and aliases; [ParseCatalog] loads another (an operator's catalog adds a system's demo set by
// giving its parts a demo quantity).
package entitlement
