// Package domain holds Loket's core types and the rules that govern them:
// ticket status transitions, identity normalisation, delivery-status merging
// and role permissions. It performs no I/O; storage, HTTP and providers sit
// around it and call into it.
package domain
