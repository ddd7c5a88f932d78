// Package storetest is the conformance suite every entitlement.Store implementation must pass:
// the in-memory store, the embedded file store, entitlement/pgstore and any other. Call [Run]
// from the implementation's tests with an [Opener] whose Open makes a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Opener{Open: func(t *testing.T) entitlement.Store {
//			s := entitlement.NewMemStore() // the implementation under test: a fresh, empty store
//			t.Cleanup(func() {
//				if err := s.Close(); err != nil {
//					t.Error(err)
//				}
//			})
//			return s
//		}})
//	}
//
// A store that persists also sets Opener.Reopen, and the suite checks that a committed
// transaction survives a reopen and a failed one leaves nothing. The suite checks reads of own
// writes, copies of values, ordered scans, rollback on an error and on a panic, read-only views,
// bad keys and writes during a scan refused, a cancelled context, no lost update under concurrent
// writers, refusal after Close, and a ledger scenario run once plainly and once on [Retrying],
// which runs every update function twice as the Store contract allows.
//
// The package also holds what the ledger's own tests and benchmarks share: [NewFixture] (a ledger
// with a vendor administrator, two distributors and a dealer), [FixedClock], [Issuer] (a
// deterministic stand-in for the license issuer), and the durable stores' floor [FloorF] and
// [Warm]. The package's Example builds a ledger on [Retrying] with [FixedClock] and [Issuer]; its
// keys are fixed test keys, and real keys never live in source.
package storetest
