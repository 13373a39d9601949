package store

import "database/sql"

// nullID stores a zero id as NULL, for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullStr stores an empty string as NULL, for optional unique keys.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type nullInt = sql.NullInt64
type nullString = sql.NullString
