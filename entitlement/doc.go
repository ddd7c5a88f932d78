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
//   - Every operation, reads included, takes an [Actor] and is refused with [ErrNotAllowed] when
//     the user lacks the role (LMS user; administrator for shipping, partners, users and
//     allowances). To a partner's user another partner's customers, locations, lines and codes do
//     not exist: they get exactly the [ErrNotFound] of an unknown one, and no message names
//     another partner's ids. An administrator (the vendor's license desk) sees every partner's
//     books (lookups, locations, downloads, the audit log) and performs the desk's actions on
//     a partner's locations: shipping, Regenerate, ReplaceHardware and ReplaceSecondaryHardware,
//     AttachExternalFile, SetLAN1IP (also a second time), the DECT deactivation confirmation,
//     and edits, migration, FCN changes and DECT upload on the partner's behalf. It may not
//     spend or return a partner's licenses: Attach (from its own bin only), Detach, Activate
//     and GenerateDemo on another partner's location are refused with ErrNotAllowed; nor
//     reship or return from another partner's bin. Impersonation needs a distributor user and the shipping
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
//   - Per-system rules plug in as [Rules] per system name, consulted on create-location, attach
//     and activate ([ChildRules] adds child locations, [ExternalRules] marks files that come
//     from outside). [GuideRules] returns the LMS guide's; see "Per-system rules" below.
//
// # Per-system rules
//
// With Config.Rules = [GuideRules]() (and Config.Deriver for derived codes) the ledger follows the
// guide's "LMS License handling instructions per System Type", "External Product License and SWA
// handling", "Migrations" and "License Transfer in case of Hardware Replacement":
//
//   - SV9100: the system type matches the code's range (CP10 34…, CP20 44…).
//   - SR-MGC: a child of an SV8500 location with a temp key (22-yyMMddHHmmss-NNN-TEMP-KEY); SR-MGC
//     parts go on the child only (catalog), and the parent's page lists its children's lines
//     ([LocationView].ChildLines); at most one "SV8500 ACD Agent option" license per SV8500
//     system, counting parent and children. The catalog marks that license with
//     "acd_agent_option" ([Part].ACDAgentOption); the guide names no part number for it, so the
//     shipped catalog marks none and a catalog that adds the part must mark it.
//   - LMC: SV8300, SV8500, SV9300 and SV9500 locations get their LMC child (LM + code) with them;
//     other PBXs get one by hand (system LMC; iS3000 in the LMIS form); MA4000, MA4000 EM and CTI
//     parts go on it and nowhere else: the catalog fits the MA4000 parts (390908, 390924, 391950,
//     391955, 391998) to system LMC only. The guide names no CTI part number ("CTI (LMC): similar
//     to MA4000"), so the shipped catalog has no CTI part; a catalog that adds one fits it to LMC.
//   - SV9500 Standard Server: created without a code, it gets a temp key; the first attach is the
//     Virtualization Option BE114234 alone and nothing else attaches or activates before
//     [Ledger.SetLAN1IP] derives the virtual code from the LAN1 IP, binds the IP, activates
//     BE114234 and issues the file (the LMC child follows); a second derivation is for
//     administrators. Appliance: primary and secondary code, QR label form accepted. SE: the code
//     is derived from the MAC (attribute "mac"), only SE parts (catalog), port capacity at most
//     [SEMaxPorts], counted as quantity × the part's "ports" field ([Part].Ports). The guide
//     speaks of "a dedicated set of SV9500 SE (V7) licenses" but names none of their part
//     numbers, so the shipped catalog fits no part to SV9500 SE (the generic SV9500 parts are
//     refused there); a catalog with the SE parts lists them for "SV9500 SE" with their ports.
//   - iS3000: dongle, CPU3000 and CIE-2 codes; dongle-less from the Full Computer Name (attribute
//     "computer-name", stored lower case); [Ledger.ChangeComputerName] keeps the code and re-issues
//     the file; a virtual code is never hardware-replaced.
//   - 3C and 3C CAT2: the domain name (attribute "domain") is required and gives a unique
//     generated code, also for a repeated domain; a typed-in code is refused.
//   - IP DECT: a file needs at least one DAP license selected or present; the upgrade allowance
//     equals the DAP count and messaging/location counts are at least the DAP count. The DAP
//     count, used by activation and upload alike, is EU917062 (IPDECT 1 AP Cap Lic) plus EU917017
//     (its conversion form, in which the guide's upload example holds an old system's access
//     points), so an uploaded system expands without a new EU917062. The upgrade-allowance and
//     messaging/location rules apply when the part is in the file: the guide's advice ("Check if
//     number of DSWU (upgrade feature) licenses is equal to the number of DAP licenses") is read
//     as a check on a file that holds them, since a new release-6 system has no upgrade allowance
//     to match. DECT - NS:
//     exactly 1 × EU910010. Refusals are [*DECTError] values with the guide's [DECTCode] and its
//     advice. [Ledger.ImportDECTLicenses] uploads an existing system's licenses
//     ([ParseDECTLicenseFile] documents the format), once and only as the first action (no
//     line, no demo file), as activated lines on an IMPORT_ order. Those licenses are the LMS
//     user's own declaration: the upload has its own audit operation ([OpDECTImport]) and flags
//     the location ([AttrPARIDeactivation] "requested") for the license desk's call of the
//     guide's Note 2 until an administrator records it ([Ledger.ConfirmPARIDeactivation]).
//   - BX/OVOC: a hardware product needs its serial and product key (attribute "product-key",
//     DT…); a software product gets its key at first activation; a redundant pair (attribute
//     "redundant") needs its secondary child before any activation; attach and activate on the
//     primary only; [LicenseIssuer] packs one .lic per machine and the .log (license.BXZip).
//   - BCT: on a dongle (system BCT), on the PBX code (SV8100, SV9100, 3C) or through the LMC
//     (catalog).
//   - External products (RCC, UM4730, Expense Management, MobiCall Master/Supervisor, MobiBox): a
//     purchase order attaches whole or not at all; activation records the lines and returns a
//     pending file; [Ledger.AttachExternalFile] (administrator) stores the file from outside, which
//     then downloads, and Config.Events receives [EventExternalFile]. MobiCall: -M parts go to the Supervisor, others to
//     the Master; MobiBox takes Master parts only.
//   - Hardware replacement ([Ledger.ReplaceHardware], administrator): every line moves to the new
//     code in one transaction, a new file is issued, the old code is recorded (FormerHWKC) and
//     refused for any new location or file. A virtual code (temp key, derived or generated code,
//     or a child of a location with one) is never replaced; an LMC child bound to its parent's
//     code is never replaced on its own but follows its parent. ReplaceHardware replaces the
//     primary code only; [Ledger.ReplaceSecondaryHardware] replaces the secondary code of an
//     SV9500 Appliance pair.
//   - Migration SV9100 CP10 → CP20 ([Ledger.MigrateSV9100]): new code and system; activated lines
//     carried over with new software key codes on a MIGSU_<yyyyMMdd><n> order, keeping their
//     original activation date; the old lines stay as read-only history (StateMigrated, still
//     counted as activated by [CheckConservation]) with the original PO/SO, which
//     [LocationView.MigratedOrigin] finds for a new line. The target code must be in the CP20
//     range, checked by the migration itself whatever Config.HostID accepts.
//
// Each of these operations is authorised, one transaction with its audit record, and keeps
// conservation; a refusal changes nothing.
//
// # Building on the ledger
//
// Packages above the core (Software Assurance in lmskit/swa, the per-system operations, the second
// vendor's workflows) run their operations through one extension point, [Ledger.Update] and
// [Ledger.View]: the function runs inside the ledger's own Store transaction with the actor
// resolved and checked (impersonation included), the operation's time, and one audit record in
// the same hash chain. Through [Op] it checks roles and scope (Need, NeedAny, LMSUser, Visible),
// keeps its own records in buckets of its own (Get, Put, Delete, Scan: CBOR with the ledger's
// strict decoder), reads the core's books with the core's scope rules (Location, Lines,
// Customer, Shipped), calls the core's operations inside the same transaction (Ship, Attach,
// Activate, Regenerate), adds references and notes to the audit record, and emits events
// ([Event]) that Config.Events receives after the commit. A refusal anywhere undoes everything.
// [Ledger.HandleUnits] routes the SWA unit lines of a shipped order to the Software Assurance
// book in the shipment's transaction.
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
// tests, [OpenFile] as the embedded default (Pebble in one directory: one write-ahead log sync per
// commit, concurrent commits grouped under one sync with no delay; [MigrateFile] copies a ledger
// file of the earlier bbolt store, which OpenFile still opens), and entitlement/pgstore on
// PostgreSQL (SERIALIZABLE, retried) past one machine. [Import] loads many items at once so that
// their operations share log syncs.
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
