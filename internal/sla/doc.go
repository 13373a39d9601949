// Package sla owns service-level agreements: business-hours calendars, SLA
// targets and the breach arithmetic that turns "respond within four business
// hours" into a concrete deadline. It performs no I/O; callers load a
// calendar's configuration from storage and hand it in.
package sla
