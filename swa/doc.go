// Package swa is Software Assurance (SWA) on the license server's ledger: the SWA units bin,
// quotes, grace, reinstatement, the cooling-off, agreements, renewal and co-term, and
// free-of-charge upgrades, as the LMS guide's "Software Assurance handling" and "SWA Renewal in
// LMS" describe them. Build the book on a ledger, activate a location's licenses through it, and
// assign SWA from the quote that comes back:
//
//	book, err := swa.New(l, swa.Config{}) // the shipped product terms; SWA units now go to the units bin
//	if err != nil {
//		return err
//	}
//	act, err := book.Activate(ctx, user, loc.ID, entitlement.Activation{AcceptAgreement: true}, nil)
//	if err != nil {
//		return err
//	}
//	asg, err := book.Assign(ctx, user, loc.ID, swa.AssignRequest{Choices: []swa.Choice{{Months: 12}},
//		Reference: "order 4711", AuthorizeUnits: true}) // pending for the 24-hour cooling-off
//	if err != nil {
//		return err
//	}
//
// act.Quote holds the quote ("66 units for 12 months", …, "0 Activate SWA later") and
// act.FreeOfCharge the free-of-charge offers; asg is pending for the 24-hour cooling-off and then
// in force by itself ([Book.Push] brings it into force at once). The package's Example walks the
// whole path, from the units shipped to a co-term renewal, on an in-memory ledger with a fixed test
// key and a fixed clock (real keys never live in source).
//
// # Getting started
//
// Build the book on a ledger with [New]; from then on the SWA units lines of shipped orders
// (part BE112031, with the order's Expires date) go to the partner's units bin ([Book.Bin], the
// guide's "SWA Units (UnAllocated / Allocated / Available)") instead of the license bin. A quote
// for a location's products is [Book.Quote]; [Book.Assign] spends units on one of its terms.
//
// The guide's recommended path, "SWA assignment directly (immediately following License
// activation)", is [Book.Activate]: it activates the licenses as the ledger does and returns the
// quote and the free-of-charge offers, or assigns in the same transaction. Every operation is one
// transaction of the ledger's store with one audit record in the ledger's hash chain, through the
// ledger's extension point (entitlement.Ledger.Update): the actor is resolved and checked as for
// every ledger operation (impersonation included), and a refusal changes nothing.
//
// # Rules
//
//   - Roles: a partner's SWA operations need the SWA Distributor Admin or SWA Dealer Admin role
//     (entitlement.RoleSWADistributor, entitlement.RoleSWADealer); reshipping units needs SWA
//     Distributor Admin, a distributor and the shipping allowance; otherwise
//     entitlement.ErrNotAllowed. Units are spent only by the location's partner's own users.
//   - Units bin ([Book.Bin], "Software Assurance Units Bin"): the shipments not expired, with
//     their sales order, purchase order, part, quantity, available units and expiry. Units are
//     drawn from the shipments that expire first; an expired shipment's available units are not
//     available and it is not listed. [Book.Reship] moves units to a dealer's bin under a new
//     PO/SO, one dealer shipment per source shipment with its expiry, listed by [Book.Resold].
//     [Book.LookupOrder] finds every shipment of an order.
//   - Grace ([GraceEnd]): from a product's first license activation on the location to the end of
//     the third following month (15-12-2014 → 31-03-2015). An agreement assigned in grace starts
//     the day after grace ends (the guide's SV8300 system, activated 2013-03-26 with 12 months,
//     expires 06/30/2014). [Book.Prospective] lists the locations in grace without SWA.
//   - Quotes ([Book.Quote]): per SWA product of the location, the terms of the product's table
//     ([Terms]: data, never a formula; a product without a table is [ErrNoTerms]), "0 — activate
//     later", the units available, and the reinstatement fee ([ReinstatementUnits]) for a location
//     past grace or with a lapsed agreement: one month of the 12-month rate per lapsed month,
//     rounded up (3 months at 66 → 17; 304 + 17 = 321). For a system activated before 2013-06-01
//     the table offers an end date (at least 3 months, at most its longest term) with the fee
//     waived. No agreement runs past 5 years from its start.
//   - Assignment ([Book.Assign]): a quoted term, a reference and the explicit authorisation to draw
//     units ([ErrUnauthorized] without it); too few units is entitlement.ErrQuantity. The
//     assignment is pending for the cooling-off period (24 hours), then in force by itself;
//     [Book.Cancel] inside the period returns every unit to the shipment it came from (and it
//     expires with that shipment); [Book.Push] brings it into force at once with a recorded
//     reason. A pushed or settled assignment cannot be cancelled.
//   - Reservations ([Book.Reservations], the guide's "SWA Reservations" and "SWA Reservations
//     Escalation"): a partner sees, pushes and cancels its own pending assignments; a distributor's
//     SWA Distributor Admin sees and cancels those of the dealers it holds the allowance for and
//     escalates them ([Book.Escalate]) to the vendor's administrator, who pushes or cancels an
//     escalated one with a reason.
//   - Status ([Book.Status]): per location and product none, grace, pending (with the time left),
//     active, renewable (within Config.RenewalWindow of the expiry) or expired; the agreement
//     number and expiry; the agreement history.
//   - Renewal ([Book.RenewalQuote], [Book.Renew], "SWA Renewal in LMS"): per location or co-terming
//     a customer's locations (all or a subset) to one end month; by default activation today for
//     12 months. Durations go per month up to the product's maximum (36 in the guide), with units
//     from the table by month count ([Table.Units]). A single renewal is 12 months or more; in a
//     co-term at least one location renews for 12 months or more. A line whose quote fails carries
//     the guide's reason ("DesiredEndMonth is earlier than SWAStartDate", the 5-year maximum). A
//     renewal is in force at once and increments the agreement's Rnn.
//   - Free-of-charge licenses ([Book.FreeOfCharge], [Book.AttachFreeOfCharge]): with SWA in force
//     or in grace, the newest version of the location's licenses by the catalog's successor data
//     (Lic-078 for an iS3000/SIP@Net system; System R8 for an SV8300 in a catalog that has it)
//     attach without a purchase order under generated numbers SA…/CO…, and are activated in the
//     same step. Outside SWA and grace they are refused; once activated they stay.
//
// # Readings where the guide is silent
//
//   - A reinstated agreement (after grace, or after a lapse) starts on the day it is assigned: the
//     fee pays for the lapse, so nothing is back-dated. Lapsed months count every month begun since
//     the lapse: the first day without grace or agreement, plus each whole month after it, up to
//     and including the quote's day (lapse on 2015-04-01, quote on 2015-06-30: 3 months).
//   - The fee rounds once over the whole fee, ceil(rate12 × months / 12), which gives the guide's
//     17 for 3 months at 66 (per-month rounding would give 18). Renewal units for a month count
//     the table does not list are ceil(rate12 × months / 12).
//   - "No agreement runs past 5 years from its start": a new agreement's start is its first day (so
//     60 months assigned in grace end 5 years after grace); a renewal is made on the day it is
//     bought, so a renewal's end is at most 5 years after that day (the guide's "MAX SWA").
//   - The units bin's UnAllocated counts the units no assignment holds, Allocated those held by
//     assignments in their cooling-off; Available, what a quote may draw, equals UnAllocated.
//   - Renewals have no cooling-off (the guide's renewal is "processed successfully" at once).
//   - An iS3000/SIP@Net system needs Lic-073 or Lic-078 to run. An activation without either
//     succeeds (grace starts with it; the system's rules warn in the file's Warnings) and
//     [Book.Activate] offers Lic-078 free of charge in the same step.
//   - Free-of-charge lines are activated in the attaching transaction: an attached line could be
//     detached into the partner's license bin and attached to a location without SWA.
//   - The guide grants free-of-charge licenses to a location with SWA; its agreements are per
//     product ("Assured Applications"), so an upgrade is free when the product of the license it
//     succeeds is covered (BCT's SWA on an SV9100 hands out no SV9100 upgrade), and a count
//     upgrade comes in the quantity activated of what it succeeds.
//   - Dates are days. An agreement covers its first day through its last; a term of months ends
//     the day before the same day of the month that many months later, or on the last day of a
//     month too short to have it (2016-02-29 + 12 months ends 2017-02-28). The dates a caller
//     gives (an end date, a renewal's start and end month) are the calendar days they name in
//     their own zone.
//
// # Agreement numbers
//
// An agreement number reads 50<code>0-<4 letters><5 digits>-<suffix> (50180-EVCY45796-N,
// 50IS0-TMZK79764-N, 50DE0-APPG37376-R02): <code> is the product's two characters in the terms
// table, the letters and digits are drawn from the ledger's randomness, and the book records
// every base (the number without its suffix) so none is issued twice. The suffix is W for the
// grace agreement a product gets with its first activation, N when an agreement comes into force,
// Rnn for its nn-th renewal; a product keeps its base from W through N and every renewal, and an
// agreement made after a lapse gets a new base. So every number is unique.
//
// # Time
//
// Time comes from Config.Clock (nil: the ledger's clock). Nothing runs in the background: an
// assignment whose cooling-off ended is brought into force by the next operation or read that
// meets it (a read then becomes an audited update), and [Book.Settle] does it for every partner
// for a scheduler, run as the vendor's administrator, which also moves expired shipments' units
// and raises the agreements' expiry events.
//
// # Migration and hardware replacement
//
// A hardware replacement and an SV9100 CP10 → CP20 migration keep the location's id, so its
// agreements stay with it. A migration carries the activated lines over with their original
// activation dates, so the grace and first activation the book derives from the lines are those
// of the original system; [Status].Migrations lists the migrations from the ledger's migration
// link (the carried-over lines and their MIGSU_ order).
//
// # Events
//
// The book's events go to the ledger's event stream (entitlement.Config.Events) after the
// commit: [EventUnitsShipped], [EventAssigned], [EventActivated], [EventCancelled],
// [EventEscalated], [EventRenewed], [EventExpiring] and [EventExpired], from which a service sends
// the guide's e-mails.
//
// # Integrity
//
// For every shipment Shipped = Available + Pending + Consumed + ReshippedOut + Expired, and units
// are never created or lost whatever the interleaving of concurrent callers;
// [CheckConservation] checks it with the ledger's own conservation check.
//
// # Compatibility
//
// The book keeps its records in the ledger's store under buckets named swa.* (CBOR with integer
// keys); new fields are added with new keys, so a ledger written by this version stays readable.
// The product terms table's JSON form ([ParseTerms]) is versioned ("version": 1).
package swa
