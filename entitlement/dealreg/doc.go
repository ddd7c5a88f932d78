// Package dealreg keeps the second vendor's deal registrations on the ledger of package
// entitlement ("Deal Registration"): partners register deals in advance, the vendor accepts one
// registration per opportunity, and the registration stays valid while the partner keeps it up to
// date. Make a [Book] with the policy and the vendor's pipeline, then submit and accept:
//
//	book, err := dealreg.New(l, dealreg.Policy{Pipeline: crm{}})
//	if err != nil {
//		return err
//	}
//	r, err := book.Submit(ctx, user, dealreg.Request{Info: deal}) // complete, in scope, the opportunity free
//	if err != nil {
//		return err
//	}
//	if r, err = book.Accept(ctx, desk, r.ID); err != nil { // not in the vendor's pipeline
//		return err
//	}
//	if r, err = book.ApplyPrice(ctx, user, r.ID); err != nil { // 15 days after the registration
//		return err
//	}
//	res, err := book.Sweep(ctx, admin)
//
// Every operation is one [entitlement.Ledger.Update] (or View): one transaction, the ledger's
// actor and role rules, one audit record; the records live in the ledger's store.
//
// # What a registration holds
//
// The complete information ([Info]): the specific customer name, the project name, the budget,
// the products or solutions, the project's decision-making chain and its implementation time (and
// the region, which the partner's authorised scope is checked against). An incomplete one is
// refused with an [*IncompleteError] naming every missing field; one the vendor wants more on is
// returned for supplement ([Book.Return]) and submitted again by the partner's update.
//
// # When it is accepted
//
// Only when all of these hold, checked by [Book.Accept] in one transaction:
//
//   - it is complete;
//   - the deal is not in the vendor's own pipeline: [Pipeline] is a port the service implements
//     (its CRM), asked before the transaction;
//   - no other registration of the opportunity is accepted: one per opportunity, whatever the
//     concurrency (the check and the claim are one transaction). The opportunity is a key the
//     caller names, by default the customer and project names ([OpportunityKey]);
//   - the partner's authorised regions and products cover it;
//   - the partner's tier may register: client-facing partners (Registered, Authorized, Silver,
//     Gold, Value-Added) register their own deals; a distributor registers on behalf of a
//     client-facing partner it holds the ledger's shipping allowance to, and for itself only where
//     [Policy].DistributorsForThemselves allows; a partner without a profile ([Book.SetProfile]) is
//     not a Registered Partner and registers nothing;
//   - an approver of the vendor accepts it ([RoleApprover], granted by an administrator);
//   - the price application, an operation of its own ([Book.ApplyPrice]), comes at least 15 days
//     after the registration: an earlier one is refused with [ErrTooEarly].
//
// # Validity
//
// A registration is valid for six months from its submission, and the vendor may extend it
// ([Book.Extend]); an accepted one whose partner does not update it ([Book.Update]) for four
// consecutive weeks becomes invalid; a notice goes out a configurable time before it expires
// ([EventExpiring]). Time is the ledger's clock: [Book.Sweep] is the explicit call a scheduler
// makes to carry out what is due (expiry, invalidity, notices), each once; an expired or invalid
// registration frees its opportunity. The events go on the ledger's event stream.
package dealreg
