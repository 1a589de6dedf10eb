// Package gen_test checks what the generated code must keep true, whatever buf writes.
package gen_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	authv1 "example.com/gopher-template/chat/internal/gen/auth/v1"
	chatv1 "example.com/gopher-template/chat/internal/gen/chat/v1"
)

// The descriptors embed go_package byte for byte: it must stay module-relative, or rewriting the
// module path would change its length and corrupt them (docs/adr/0004-protos.md).
func TestGoPackageIsModuleRelative(t *testing.T) {
	t.Parallel()
	for _, fd := range []protoreflect.FileDescriptor{authv1.File_auth_v1_auth_proto, chatv1.File_chat_v1_chat_proto} {
		opts, ok := fd.Options().(*descriptorpb.FileOptions)
		if !ok {
			t.Fatalf("%s: no file options", fd.Path())
		}
		if pkg := opts.GetGoPackage(); !strings.HasPrefix(pkg, "internal/gen/") {
			t.Errorf("%s: go_package %q, want it relative to the module (internal/gen/...)", fd.Path(), pkg)
		}
		if fd.Services().Len() != 1 {
			t.Errorf("%s: %d services, want 1", fd.Path(), fd.Services().Len())
		}
	}
}
