// Package netns runs riskmap inside a private network namespace that it creates itself, with
// only the loopback interface up. Nothing sent from inside can leave it: there is no other
// interface and no route, so a scan of 127.0.0.0/8 there touches only listeners started there.
//
// The namespace is made by re-executing the current binary with CLONE_NEWNET (and
// CLONE_NEWUSER when not root), so the whole process, its goroutines and its children (nmap)
// are inside. The parent only waits and passes the exit code on.
package netns
