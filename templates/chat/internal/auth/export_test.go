package auth

import "example.com/gopher-template/chat/internal/password"

// SetPasswordFuncs replaces the service's password.Hash and password.Verify, so that tests can
// count and pace them. Call it while no call of the service runs.
func (s *Service) SetPasswordFuncs(hash func(string, password.Params) (string, error), verify func(pw, hash string) error) {
	s.hash, s.verify = hash, verify
}
