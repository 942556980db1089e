package overwatch

// CONTRACT FILE — signatures fixed; bodies replaced by the JSON helper.

// JSONOptions tunes the TBufferJSON encoder.
type JSONOptions struct {
	// CompactArrays writes numeric arrays in JSROOT's compact "$arr" forms
	// (base64 or run-length), which JSROOT's parse decodes.
	CompactArrays bool
}

// AppendJSON appends the TBufferJSON (JSROOT) JSON of obj to dst. NaN and
// infinities are written in a form JSROOT parses.
func AppendJSON(dst []byte, obj Object, opts JSONOptions) ([]byte, error) {
	return dst, errNotWired
}

// MarshalJSON returns the TBufferJSON (JSROOT) JSON of obj.
func MarshalJSON(obj Object) ([]byte, error) { return AppendJSON(nil, obj, JSONOptions{}) }
