package password

// SetFuncs replaces the Hasher's Hash and Verify, so that tests can count and pace them. Call it
// before the Hasher is used.
func (h *Hasher) SetFuncs(hash func(string, Params) (string, error), verify func(pw, hash string) error) {
	h.hash, h.verify = hash, verify
}
