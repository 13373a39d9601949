package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// apiError is the body of every error answer.
type apiError struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// httpError is an error with its HTTP status and machine-readable code.
type httpError struct {
	status  int
	code    string
	message string
}

func (e *httpError) Error() string { return e.message }

func errorf(status int, code, format string, args ...any) error {
	return &httpError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) { channel.WriteJSON(w, status, v) }

// writeError answers err with the right status: user errors as 4xx with
// their code, anything else as 500 with the details only in the log.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	var ce *channel.HTTPError
	var de *domain.Error
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.status, apiError{errorBody{he.code, he.message}})
	case errors.As(err, &ce):
		writeJSON(w, ce.Status, apiError{errorBody{ce.Code, ce.Message}})
	case errors.As(err, &mb):
		writeJSON(w, http.StatusRequestEntityTooLarge, apiError{errorBody{"too_large", fmt.Sprintf("request body is larger than %d bytes", mb.Limit)}})
	case errors.As(err, &de):
		status := http.StatusUnprocessableEntity
		switch de.Code {
		case "invalid_json", "invalid_cursor", "too_long":
			status = http.StatusBadRequest
		case "unsupported_media_type":
			status = http.StatusUnsupportedMediaType
		}
		writeJSON(w, status, apiError{errorBody{de.Code, de.Message}})
	case errors.Is(err, domain.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiError{errorBody{"not_found", "no such resource: " + r.URL.Path}})
	case errors.Is(err, desk.ErrClosed):
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, apiError{errorBody{"unavailable", "Loket is restarting; try again shortly"}})
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, apiError{errorBody{"internal", "something went wrong on our side; it has been logged"}})
	}
}

// decode reads a JSON body of at most limit bytes into v, rejecting
// unknown fields and trailing data, and cleans every string in it (see
// cleanStrings) so that both databases store it alike.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

func decodeBytes(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, "invalid_json", "request body is empty; send a JSON object")
		case errors.As(err, &se):
			return errorf(http.StatusBadRequest, "invalid_json", "request body is not valid JSON (at byte %d)", se.Offset)
		case errors.As(err, &te):
			return errorf(http.StatusBadRequest, "invalid_json", "field %q must be %s", te.Field, te.Type)
		default:
			return errorf(http.StatusBadRequest, "invalid_json", "%s", err.Error())
		}
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "invalid_json", "request body has data after the JSON object")
	}
	cleanStrings(reflect.ValueOf(v))
	return nil
}

func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, err
		}
		return nil, errorf(http.StatusBadRequest, "bad_body", "could not read request body: %v", err)
	}
	return body, nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(http.StatusNotFound, "not_found", "%q is not a valid %s", r.PathValue(name), name)
	}
	return id, nil
}

// queryLimit reads ?limit=, def when absent or out of 1..most.
func queryLimit(r *http.Request, def, most int) (int, error) {
	n, err := queryInt(r, "limit")
	if err != nil {
		return 0, err
	}
	if n <= 0 || n > int64(most) {
		return def, nil
	}
	return int(n), nil
}

func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "invalid_query", "query parameter %s must be a number", name)
	}
	return n, nil
}
