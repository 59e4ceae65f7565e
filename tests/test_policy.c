/* The signature policy (src/policy.c). The parse rows are containers/image 5.23's own test cases from
   signature/policy_config_test.go (the valid objects and their breakFns / invalidObjects, written out as
   whole documents), with c/image's error texts; the scope rows are policy_eval_test.go's
   TestPolicyContextRequirementsForImageRef table; tests/data/policy/policy.json is its fixture. */

#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#define PD(reqs) "{\"default\":[" reqs "]}"
#define PT(tr, scopes) "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"" tr "\":{" scopes "}}}"
#define ACC "{\"type\":\"insecureAcceptAnything\"}"
#define REJ "{\"type\":\"reject\"}"
#define SB_OK "{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"YWJj\""   /* + "}" or more members */
#define SS_OK "{\"type\":\"sigstoreSigned\",\"keyData\":\"YWJj\""
#define BL_OK "{\"type\":\"signedBaseLayer\",\"baseLayerIdentity\":"
#define PRM(x) PD(SB_OK ",\"signedIdentity\":" x "}")
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

typedef struct policy_parse_case { const char *json; crioimg_result want; const char *text; } policy_parse_case;

static const policy_parse_case policy_parse_cases[] = {
    /* TestPolicyUnmarshalJSON */
    { "{\"default\":[" SB_OK "}],\"transports\":{\"docker\":{\"docker.io/library/busybox\":[" SB_OK "}],\"registry.access.redhat.com\":[" SB_OK "}]},"
      "\"unknown\":{\"registry.access.redhat.com/rhel7\":[" SB_OK "}]}}}", CRIOIMG_OK, NULL },
    { PD(ACC), CRIOIMG_OK, NULL },                                        /* no "transports" */
    { "{\"default\":[" ACC "],\"transports\":{}}", CRIOIMG_OK, NULL },    /* an empty map of transports */
    { "{\"transports\":{}}", CRIOIMG_ERR_POLICY_INVALID, "Default policy is missing" },
    { "{\"default\":[" ACC "],\"unexpected\":1}", CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unexpected\"" },
    { "{\"default\":1}", CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type []json.RawMessage" },
    { "{\"default\":{}}", CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal object into Go value of type []json.RawMessage" },
    { "{\"default\":[" ACC "],\"transports\":1}", CRIOIMG_ERR_POLICY_INVALID, "JSON object expected, got \"%!s(float64=1)\"" },
    { "{\"default\":[" ACC "],\"transports\":[]}", CRIOIMG_ERR_POLICY_INVALID, "JSON object expected, got \"[\"" },
    { "{\"default\":[]}", CRIOIMG_ERR_POLICY_INVALID, "List of verification policy requirements must not be empty" },
    { "{\"default\":null}", CRIOIMG_ERR_POLICY_INVALID, "List of verification policy requirements must not be empty" },
    { "{\"default\":[" ACC "],\"default\":[" ACC "]}", CRIOIMG_ERR_POLICY_INVALID, "Duplicate key \"default\"" },
    { "{\"default\":[" ACC "],\"transports\":{},\"transports\":{}}", CRIOIMG_ERR_POLICY_INVALID, "Duplicate key \"transports\"" },
    { "[]", CRIOIMG_ERR_POLICY_INVALID, "JSON object expected, got \"[\"" },
    { "null", CRIOIMG_ERR_POLICY_INVALID, "JSON object expected, got \"%!s(<nil>)\"" },
    { "\"x\"", CRIOIMG_ERR_POLICY_INVALID, "JSON object expected, got \"x\"" },
    { "{\"Default\":[" ACC "]}", CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"Default\"" },   /* keys are exact, unlike encoding/json */
    { "&", CRIOIMG_ERR_POLICY_INVALID, NULL },
    { "", CRIOIMG_ERR_POLICY_INVALID, NULL },
    /* TestPolicyTransportScopesWithTransportUnmarshalJSON */
    { PT("docker", "\"docker.io/library/busybox\":1"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type []json.RawMessage" },
    { PT("docker", "\"docker.io/library/busybox\":{}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal object into Go value of type []json.RawMessage" },
    { PT("docker", "\"\":1"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type []json.RawMessage" },
    { PT("docker", "\"\":[]"), CRIOIMG_ERR_POLICY_INVALID, "List of verification policy requirements must not be empty" },
    { PT("docker", "\"a\":[" ACC "],\"a\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Duplicate key \"a\"" },
    { PT("docker", ""), CRIOIMG_OK, NULL },
    { "{\"default\":[" REJ "],\"transports\":{\"docker\":1}}", CRIOIMG_ERR_POLICY_INVALID, "JSON object expected, got \"%!s(float64=1)\"" },
    { "{\"default\":[" REJ "],\"transports\":{\"docker\":null}}", CRIOIMG_ERR_POLICY_INVALID, "JSON object expected, got \"%!s(<nil>)\"" },
    /* scopes each transport's ValidatePolicyConfigurationScope refuses are unknown keys (c/image 5.23) */
    { PT("dir", "\"docker.io/library/busybox\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"docker.io/library/busybox\"" },
    { PT("dir", "\"/\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"/\"" },
    { PT("dir", "\"/a/../b\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"/a/../b\"" },
    { PT("dir", "\"/a/\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"/a/\"" },
    { PT("dir", "\"/a//b\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"/a//b\"" },
    { PT("dir", "\"/a/./b\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"/a/./b\"" },
    { PT("dir", "\"/a/b\":[" ACC "],\"\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("oci", "\"/a/b\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("oci", "\"a/b\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"a/b\"" },
    { PT("oci-archive", "\"/a/b.tar\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("oci-archive", "\"/\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"/\"" },
    { PT("sif", "\"/a\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("docker-archive", "\"\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("docker-archive", "\"/a.tar\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"/a.tar\"" },
    { PT("tarball", "\"/a.tar\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"/a.tar\"" },
    { PT("docker-daemon", "\"busybox:latest\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("docker-daemon", "\"sha256:" HEX64 "\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"sha256:" HEX64 "\"" },
    { PT("containers-storage", "\"[/var/lib/containers/storage]\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("containers-storage", "\"[overlay@/var/lib/containers/storage]docker.io/library/busybox:latest@" HEX64 "\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("containers-storage", "\"[overlay@/s]busybox@sha256:" HEX64 "@" HEX64 "\":[" ACC "]"), CRIOIMG_OK, NULL },
    { PT("containers-storage", "\"[overlay@/s]busybox@nothex\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"[overlay@/s]busybox@nothex\"" },
    { PT("containers-storage", "\"[relative]\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"[relative]\"" },
    { PT("containers-storage", "\"[]\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"[]\"" },
    { PT("containers-storage", "\"[@/s]\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"[@/s]\"" },
    { PT("containers-storage", "\"busybox\":[" ACC "]"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"busybox\"" },
    { PT("ostree", "\"anything at all\":[" ACC "]"), CRIOIMG_OK, NULL },    /* a stub transport in a default build */
    { PT("unknown", "\"anything at all\":[" ACC "]"), CRIOIMG_OK, NULL },
    /* TestPolicyRequirementsUnmarshalJSON, TestNewPolicyRequirementFromJSON */
    { PD("1"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type signature.prCommon" },
    { PD("{}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy requirement type \"\"" },
    { PD("null"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy requirement type \"\"" },
    { PD("{\"type\":\"this is invalid\"}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy requirement type \"this is invalid\"" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"this is invalid\"}"), CRIOIMG_ERR_POLICY_INVALID, "Unrecognized keyType value \"this is invalid\"" },
    { PD(SB_OK "}," SB_OK "}"), CRIOIMG_OK, NULL },
    /* TestPRInsecureAcceptAnythingUnmarshalJSON, TestPRRejectUnmarshalJSON */
    { PD("{\"type\":1}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go struct field prCommon.type of type signature.prTypeIdentifier" },
    { PD("{\"type\":\"insecureAcceptAnything\",\"unknown\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unknown\"" },
    { PD("{\"type\":\"reject\",\"unknown\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unknown\"" },
    { PD("{\"TYPE\":\"reject\"}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"TYPE\"" },  /* found by encoding/json's folding, refused by the paranoid pass */
    { PD("{\"type\":\"reject\",\"type\":\"reject\"}"), CRIOIMG_ERR_POLICY_INVALID, "Duplicate key \"type\"" },
    /* TestPRSignedByUnmarshalJSON */
    { PD(SB_OK "}"), CRIOIMG_OK, NULL },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/foo/bar\"}"), CRIOIMG_OK, NULL },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"signedByGPGKeys\",\"keyPaths\":[\"/1\",\"/2\"]}"), CRIOIMG_OK, NULL },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"X509Certificates\",\"keyData\":\"\"}"), CRIOIMG_OK, NULL },  /* "" decodes to a non-nil []byte */
    { PD("{\"type\":\"signedBy\",\"keyType\":\"signedByX509CAs\",\"keyData\":[1,2,255]}"), CRIOIMG_OK, NULL },
    { PD("{\"keyType\":\"GPGKeys\",\"keyData\":\"YWJj\"}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy requirement type \"\"" },
    { PD("{\"type\":1,\"keyType\":\"GPGKeys\",\"keyData\":\"YWJj\"}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go struct field prCommon.type of type signature.prTypeIdentifier" },
    { PD(SB_OK ",\"unexpected\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unexpected\"" },
    { PD("{\"type\":\"signedBy\",\"keyData\":\"YWJj\"}"), CRIOIMG_ERR_POLICY_INVALID, "invalid keyType \"\"" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"}"), CRIOIMG_ERR_POLICY_INVALID, "Exactly one of keyPath, keyPaths and keyData must be specified, none of them present" },
    { PD(SB_OK ",\"keyPath\":\"/foo/bar\",\"keyPaths\":[\"/1\",\"/2\"]}"), CRIOIMG_ERR_POLICY_INVALID, "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/foo/bar\",\"keyPaths\":[\"/1\",\"/2\"]}"), CRIOIMG_ERR_POLICY_INVALID, "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present" },
    { PD(SB_OK ",\"keyPath\":\"/foo/bar\"}"), CRIOIMG_ERR_POLICY_INVALID, "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present" },
    { PD(SB_OK ",\"keyPaths\":[\"/1\",\"/2\"]}"), CRIOIMG_ERR_POLICY_INVALID, "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":1}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type string" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":1}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type []string" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":[1]}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type string" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":1}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type []uint8" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":\"this is invalid base64\"}"), CRIOIMG_ERR_POLICY_INVALID, "illegal base64 data at input byte 4" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyData\":[256]}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number 256 into Go value of type uint8" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"\"}"), CRIOIMG_ERR_POLICY_INVALID, "exactly one of keyPath, keyPaths and keyData must be specified" },
    { PD("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPaths\":null}"), CRIOIMG_ERR_POLICY_INVALID, "exactly one of keyPath, keyPaths and keyData must be specified" },
    { PD("{\"type\":\"signedBy\",\"keyType\":null,\"keyData\":\"YWJj\"}"), CRIOIMG_ERR_POLICY_INVALID, "Unrecognized keyType value \"\"" },
    { PD("{\"type\":\"signedBy\",\"keyType\":1,\"keyData\":\"YWJj\"}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type string" },
    { PRM("\"this is invalid\""), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal string into Go value of type signature.prmCommon" },
    { PRM("null"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy reference match type \"\"" },
    /* TestSBKeyTypeUnmarshalJSON */
    { PD("{\"type\":\"signedBy\",\"keyType\":\"gpgkeys\",\"keyData\":\"YWJj\"}"), CRIOIMG_ERR_POLICY_INVALID, "Unrecognized keyType value \"gpgkeys\"" },
    /* TestPRSignedBaseLayerUnmarshalJSON */
    { PD(BL_OK "{\"type\":\"matchRepository\"}}"), CRIOIMG_OK, NULL },
    { PD("{\"baseLayerIdentity\":{\"type\":\"matchRepository\"}}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy requirement type \"\"" },
    { PD(BL_OK "{\"type\":\"matchRepository\"},\"unexpected\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unexpected\"" },
    { PD("{\"type\":\"signedBaseLayer\"}"), CRIOIMG_ERR_POLICY_INVALID, "Key \"baseLayerIdentity\" missing in a JSON object" },
    { PD(BL_OK "\"this is invalid\"}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal string into Go value of type signature.prmCommon" },
    { PD(BL_OK "null}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy reference match type \"\"" },
    /* TestPRSigstoreSignedUnmarshalJSON */
    { PD(SS_OK "}"), CRIOIMG_OK, NULL },
    { PD("{\"type\":\"sigstoreSigned\",\"keyPath\":\"/foo/bar\",\"signedIdentity\":{\"type\":\"matchRepository\"}}"), CRIOIMG_OK, NULL },
    { PD(SS_OK ",\"unexpected\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unexpected\"" },
    { PD("{\"type\":\"sigstoreSigned\"}"), CRIOIMG_ERR_POLICY_INVALID, "At least one of keyPath and keyData must be specified" },
    { PD(SS_OK ",\"keyPath\":\"/foo/bar\"}"), CRIOIMG_ERR_POLICY_INVALID, "keyPath and keyData cannot be used simultaneously" },
    { PD("{\"type\":\"sigstoreSigned\",\"keyPath\":1}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type string" },
    { PD("{\"type\":\"sigstoreSigned\",\"keyData\":1}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type []uint8" },
    { PD("{\"type\":\"sigstoreSigned\",\"keyData\":\"this is invalid base64\"}"), CRIOIMG_ERR_POLICY_INVALID, "illegal base64 data at input byte 4" },
    { PD(SS_OK ",\"signedIdentity\":\"this is invalid\"}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal string into Go value of type signature.prmCommon" },
    { PD(SS_OK ",\"signedIdentity\":null}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy reference match type \"\"" },
    /* TestNewPolicyReferenceMatchFromJSON and the prm* UnmarshalJSON tests */
    { PRM("{\"type\":\"matchExact\"}"), CRIOIMG_OK, NULL },
    { PRM("{\"type\":\"matchRepoDigestOrExact\"}"), CRIOIMG_OK, NULL },
    { PRM("{\"type\":\"matchRepository\"}"), CRIOIMG_OK, NULL },
    { PRM("1"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type signature.prmCommon" },
    { PRM("{}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy reference match type \"\"" },
    { PRM("{\"type\":\"this is invalid\"}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown policy reference match type \"this is invalid\"" },
    { PRM("{\"type\":1}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go struct field prmCommon.type of type signature.prmTypeIdentifier" },
    { PRM("{\"type\":\"matchExact\",\"unknown\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unknown\"" },
    { PRM("{\"type\":\"matchRepository\",\"unknown\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unknown\"" },
    { PRM("{\"type\":\"exactReference\",\"dockerReference\":\"library/busybox:latest\"}"), CRIOIMG_OK, NULL },
    { PRM("{\"type\":\"exactReference\"}"), CRIOIMG_ERR_POLICY_INVALID, "Key \"dockerReference\" missing in a JSON object" },
    { PRM("{\"type\":\"exactReference\",\"dockerReference\":1}"), CRIOIMG_ERR_POLICY_INVALID, "json: cannot unmarshal number into Go value of type string" },
    { PRM("{\"type\":\"exactReference\",\"dockerReference\":\"UPPERCASEISINVALID\"}"), CRIOIMG_ERR_POLICY_INVALID,
      "Invalid format of dockerReference UPPERCASEISINVALID: invalid reference format: repository name must be lowercase" },
    { PRM("{\"type\":\"exactReference\",\"dockerReference\":\"busybox\"}"), CRIOIMG_ERR_POLICY_INVALID, "dockerReference busybox contains neither a tag nor digest" },
    { PRM("{\"type\":\"exactRepository\",\"dockerRepository\":\"library/busybox\"}"), CRIOIMG_OK, NULL },
    { PRM("{\"type\":\"exactRepository\",\"dockerRepository\":\"busybox:latest\"}"), CRIOIMG_OK, NULL },
    { PRM("{\"type\":\"exactRepository\",\"dockerRepository\":\"UPPERCASEISINVALID\"}"), CRIOIMG_ERR_POLICY_INVALID,
      "Invalid format of dockerRepository UPPERCASEISINVALID: invalid reference format: repository name must be lowercase" },
    { PRM("{\"type\":\"exactRepository\",\"dockerRepository\":\"busybox\",\"extra\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"extra\"" },
    /* TestValidateIdentityRemappingPrefix, TestPRMRemapIdentityUnmarshalJSON */
#define REMAP(p, s) PRM("{\"type\":\"remapIdentity\",\"prefix\":\"" p "\",\"signedPrefix\":\"" s "\"}")
    { REMAP("localhost", "example.com"), CRIOIMG_OK, NULL },
    { REMAP("example.com:80", "example.com/repo"), CRIOIMG_OK, NULL },
    { REMAP("example.com/ns1/ns2/ns3/repo.with.dots-dashes_underscores", "example.com:80/ns1/ns2/ns3/repo.with.dots-dashes_underscores"), CRIOIMG_OK, NULL },
    { REMAP("shortname", "ns/shortname"), CRIOIMG_OK, NULL },
    { REMAP("", "example.com"), CRIOIMG_ERR_POLICY_INVALID, "prefix \"\" is not valid" },
    { REMAP("example.com", "repo_with_underscores"), CRIOIMG_ERR_POLICY_INVALID, "prefix \"repo_with_underscores\" is not valid" },
    { REMAP("example.com/", "example.com"), CRIOIMG_ERR_POLICY_INVALID, "prefix \"example.com/\" is not valid" },
    { REMAP("example.com/UPPERCASEISINVALID", "example.com"), CRIOIMG_ERR_POLICY_INVALID, "prefix \"example.com/UPPERCASEISINVALID\" is not valid" },
    { REMAP("example.com/repo/", "example.com"), CRIOIMG_ERR_POLICY_INVALID, "prefix \"example.com/repo/\" is not valid" },
    { REMAP("example.com/repo:tag", "example.com"), CRIOIMG_ERR_POLICY_INVALID, "prefix \"example.com/repo:tag\" is not valid" },
    { REMAP("example.com/repo@sha256:" HEX64, "example.com"), CRIOIMG_ERR_POLICY_INVALID, "prefix \"example.com/repo@sha256:" HEX64 "\" is not valid" },
    { PRM("{\"type\":\"remapIdentity\",\"prefix\":\"example.com\"}"), CRIOIMG_ERR_POLICY_INVALID, "Key \"signedPrefix\" missing in a JSON object" },
    { PRM("{\"type\":\"remapIdentity\",\"prefix\":\"example.com\",\"signedPrefix\":\"x.com\",\"unknown\":1}"), CRIOIMG_ERR_POLICY_INVALID, "Unknown key \"unknown\"" },
#undef REMAP
    /* hardening: a NUL anywhere in a string, named with its line */
    { "{\"default\":[" ACC "],\n\"transports\":{\"docker\":{\"a\\u0000b\":[" ACC "]}}}", CRIOIMG_ERR_POLICY_INVALID,
      "line 2: a NUL byte (\\u0000) in a string is not allowed" },
    { "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\n\n\"keyPath\":\"/k\\u0000\"}]}", CRIOIMG_ERR_POLICY_INVALID,
      "line 3: a NUL byte (\\u0000) in a string is not allowed" },
    { "{\"default\":[" ACC "],\"transports\":{\"docker\":{\"a\\\\u0000b\":[" ACC "]}}}", CRIOIMG_OK, NULL },  /* an escaped backslash, then text */
    { "{\"default\":[" ACC "],\n\n\"x\":tru}", CRIOIMG_ERR_POLICY_INVALID, NULL },
};

static void test_policy_parse(void)
{
    size_t i;
    char err[600], want[700];
    for (i = 0; i < sizeof policy_parse_cases / sizeof policy_parse_cases[0]; i++) {
        const policy_parse_case *c = &policy_parse_cases[i];
        crioimg_policy *p = (crioimg_policy *)&p;
        crioimg_result r;
        tests_context = c->json;
        r = crioimg_policy_parse(&p, c->json, strlen(c->json), "t.json", NULL, err, sizeof err);
        CHECK(r == c->want);
        CHECK((r == CRIOIMG_OK) == (p != NULL));
        if (r != CRIOIMG_OK) {
            CHECK(strncmp(err, "invalid policy in \"t.json\": ", 28) == 0);
            if (c->text) { snprintf(want, sizeof want, "invalid policy in \"t.json\": %s", c->text); CHECK_STR(err, want); }
            /* NewPolicyFromBytes: the same text without the file */
            r = crioimg_policy_parse(&p, c->json, strlen(c->json), NULL, NULL, err, sizeof err);
            CHECK(r == c->want && p == NULL);
            if (c->text) CHECK_STR(err, c->text);
        } else {
            CHECK_STR(err, "");
            CHECK_STR(crioimg_policy_path(p), "t.json");
        }
        crioimg_policy_free(p);
    }
    tests_context = "";
    {
        crioimg_policy *p;
        CHECK(crioimg_policy_parse(NULL, "{}", 2, NULL, NULL, NULL, 0) == CRIOIMG_ERR_INVALID_ARGS);
        CHECK(crioimg_policy_parse(&p, NULL, 1, NULL, NULL, NULL, 0) == CRIOIMG_ERR_INVALID_ARGS);
        crioimg_policy_free(NULL);
    }
}

/* policy_eval_test.go's TestPolicyContextRequirementsForImageRef: every scope holds a signedBy (so the
   refusal text names the scope that was picked), the default is reject. */
typedef struct policy_scope_case { const char *name; crioimg_result want; const char *scope; } policy_scope_case;

static const policy_scope_case policy_scope_cases[] = {
    { "docker://deep.com/n1/n2/n3/repo:tag2", CRIOIMG_ERR_POLICY_UNSUPPORTED, "deep.com/n1/n2/n3/repo:tag2" },
    { "docker://deep.com/n1/n2/n3/repo:nottag2", CRIOIMG_ERR_POLICY_UNSUPPORTED, "deep.com/n1/n2/n3/repo" },
    { "docker://deep.com/n1/n2/n3/notrepo:tag2", CRIOIMG_ERR_POLICY_UNSUPPORTED, "deep.com/n1/n2/n3" },
    { "docker://deep.com/n1/n2/notn3/repo:tag2", CRIOIMG_ERR_POLICY_UNSUPPORTED, "deep.com/n1/n2" },
    { "docker://deep.com/n1/notn2/n3/repo:tag2", CRIOIMG_ERR_POLICY_UNSUPPORTED, "deep.com/n1" },
    { "docker://deep.com/notn1/n2/n3/repo:tag2", CRIOIMG_ERR_POLICY_UNSUPPORTED, "deep.com" },
    { "docker://very.deep.com/n1/n2/n3/repo:tag2", CRIOIMG_ERR_POLICY_UNSUPPORTED, "*.deep.com" },
    { "docker://not.very.deep.com/n1/n2/n3/repo:tag2", CRIOIMG_ERR_POLICY_UNSUPPORTED, "*.very.deep.com" },
    { "docker://this.does-not/match:anything", CRIOIMG_ERR_POLICY_UNSUPPORTED, "" },
    /* crioimg's own rows: a port is not part of the wildcard host; the digest form of the identity */
    { "docker://very.deep.com:5000/x", CRIOIMG_ERR_POLICY_UNSUPPORTED, "*.deep.com" },
    { "docker://deep.com/n1/n2/n3/repo@sha256:" HEX64, CRIOIMG_ERR_POLICY_UNSUPPORTED, "deep.com/n1/n2/n3/repo@sha256:" HEX64 },
    /* no "" scope in the transport's section: the default; no section at all: the default */
    { "docker-daemon:this.does-not/match:anything", CRIOIMG_ERR_POLICY_REJECTED, NULL },
    { "docker-archive:/nonexistent/x.tar", CRIOIMG_ERR_POLICY_REJECTED, NULL },
};

static void test_policy_scopes(void)
{
    static const char json[] =
        "{\"default\":[" REJ "],\"transports\":{"
        "\"docker\":{\"\":[" SB_OK "}],\"unmatched\":[" SB_OK "}],\"deep.com\":[" SB_OK "}],\"*.very.deep.com\":[" SB_OK "}],"
        "\"*.deep.com\":[" SB_OK "}],\"deep.com/n1\":[" SB_OK "}],\"deep.com/n1/n2\":[" SB_OK "}],\"deep.com/n1/n2/n3\":[" SB_OK "}],"
        "\"deep.com/n1/n2/n3/repo\":[" SB_OK "}],\"deep.com/n1/n2/n3/repo:tag2\":[" SB_OK "}],"
        "\"deep.com/n1/n2/n3/repo@sha256:" HEX64 "\":[" SB_OK "}]},"
        "\"docker-daemon\":{\"unmatched\":[" SB_OK "}]}}}";
    crioimg_policy *p;
    char err[600], want[700];
    size_t i;
    CHECK(crioimg_policy_parse(&p, json, sizeof json - 1, NULL, NULL, err, sizeof err) == CRIOIMG_OK);
    CHECK_STR(err, "");
    for (i = 0; i < sizeof policy_scope_cases / sizeof policy_scope_cases[0]; i++) {
        const policy_scope_case *c = &policy_scope_cases[i];
        crioimg_image_name nm;
        crioimg__out o;
        char in[300];
        tests_context = c->name;
        CHECK(crioimg_policy_check(p, c->name, strlen(c->name), err, sizeof err) == c->want);
        CHECK(crioimg_image_name_parse(&nm, c->name, strlen(c->name), NULL, 0, NULL) == CRIOIMG_OK);
        o.p = in; o.cap = sizeof in; o.len = 0;
        crioimg__pol_image_name(&o, &nm);
        if (c->scope) snprintf(want, sizeof want, "Running image %s requires a \"signedBy\" signature check (policy transport \"docker\" scope \"%s\"), which is not supported by crioimg", in, c->scope);
        else snprintf(want, sizeof want, "Running image %s is rejected by policy.", in);
        CHECK_STR(err, want);
    }
    tests_context = "";
    CHECK(crioimg_policy_check(p, "nonsense", 8, err, sizeof err) == CRIOIMG_ERR_IMAGE_NAME_NO_COLON);
    CHECK(err[0] != '\0');
    CHECK(crioimg_policy_check(NULL, "docker://a", 10, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS);
    crioimg_policy_free(p);
}

/* c/image's fixture: signedBy and friends load, and refuse only the images they apply to */
typedef struct policy_fixture_case { const char *name; crioimg_result want; const char *text; } policy_fixture_case;

static const policy_fixture_case policy_fixture_cases[] = {
    { "docker://example.com/playground/busybox", CRIOIMG_OK, "" },
    { "docker://example.com/playground", CRIOIMG_OK, "" },
    { "docker://example.com/production/app:1", CRIOIMG_ERR_POLICY_UNSUPPORTED,
      "Running image docker://example.com/production/app:1 requires a \"signedBy\" signature check (policy transport \"docker\" scope \"example.com/production\"), which is not supported by crioimg" },
    { "docker://example.com/hardened/x", CRIOIMG_ERR_POLICY_UNSUPPORTED,
      "Running image docker://example.com/hardened/x:latest requires a \"signedBy\" signature check (policy transport \"docker\" scope \"example.com/hardened\"), which is not supported by crioimg" },
    { "docker://example.com/sigstore/key-data-example", CRIOIMG_ERR_POLICY_UNSUPPORTED,
      "Running image docker://example.com/sigstore/key-data-example:latest requires a \"sigstoreSigned\" signature check (policy transport \"docker\" scope \"example.com/sigstore/key-data-example\"), which is not supported by crioimg" },
    { "docker://example.com/hardened-x509/x", CRIOIMG_ERR_POLICY_UNSUPPORTED,
      "Running image docker://example.com/hardened-x509/x:latest requires a \"signedBy\" signature check (policy transport \"docker\" scope \"example.com/hardened-x509\"), which is not supported by crioimg" },
    /* the fixture's "bogus/..." scopes are never matched: a docker name is normalized to docker.io/bogus/... */
    { "docker://bogus/signed-identity-example", CRIOIMG_ERR_POLICY_REJECTED,
      "Running image docker://docker.io/bogus/signed-identity-example:latest is rejected by policy." },
    { "docker://registry.access.redhat.com/rhel7", CRIOIMG_ERR_POLICY_UNSUPPORTED,
      "Running image docker://registry.access.redhat.com/rhel7:latest requires a \"signedBy\" signature check (policy transport \"docker\" scope \"registry.access.redhat.com\"), which is not supported by crioimg" },
    { "docker://foo.access.redhat.com/x", CRIOIMG_ERR_POLICY_UNSUPPORTED,
      "Running image docker://foo.access.redhat.com/x:latest requires a \"signedBy\" signature check (policy transport \"docker\" scope \"*.access.redhat.com\"), which is not supported by crioimg" },
    { "docker://busybox", CRIOIMG_ERR_POLICY_REJECTED, "Running image docker://docker.io/library/busybox:latest is rejected by policy." },
    { "dir:/tmp/nonexistent-crioimg-dir", CRIOIMG_OK, "" },
    { "dir:/nonexistent/dir", CRIOIMG_ERR_IO, "lstat /nonexistent: no such file or directory" },  /* as c/image's dir: references */
    { "oci:/nonexistent/layout:tag", CRIOIMG_ERR_POLICY_REJECTED, "Running image oci:/nonexistent/layout:tag is rejected by policy." },
    { "oci-archive:/nonexistent/a.tar", CRIOIMG_ERR_POLICY_REJECTED, "Running image oci-archive:/nonexistent/a.tar: is rejected by policy." },
    { "docker-archive:/nonexistent/a.tar:busybox:1", CRIOIMG_ERR_POLICY_REJECTED, "Running image docker-archive:/nonexistent/a.tar:docker.io/library/busybox:1 is rejected by policy." },
};

static void test_policy_fixture(void)
{
    crioimg_policy *p;
    char err[600];
    size_t i;
    CHECK(crioimg_policy_load(&p, "tests/data/policy/policy.json", NULL, err, sizeof err) == CRIOIMG_OK);
    CHECK_STR(err, "");
    if (p == NULL) return;
    CHECK_STR(crioimg_policy_path(p), "tests/data/policy/policy.json");
    for (i = 0; i < sizeof policy_fixture_cases / sizeof policy_fixture_cases[0]; i++) {
        const policy_fixture_case *c = &policy_fixture_cases[i];
        tests_context = c->name;
        CHECK(crioimg_policy_check(p, c->name, strlen(c->name), err, sizeof err) == c->want);
        CHECK_STR(err, c->text);
    }
    tests_context = "";
    crioimg_policy_free(p);
}

static void policy_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (f) { fputs(text, f); fclose(f); }
}

/* Files: the search order, the built-in default, FIFOs and devices refused without blocking, the
   size cap; path scopes resolved through symbolic links. */
static void test_policy_files(void)
{
    char dir[] = "/tmp/crioimg-policy-XXXXXX", path[256], path2[256], err[600], name[700];
    const char *old_home = getenv("HOME");
    char *home_copy = old_home ? strdup(old_home) : NULL;
    crioimg_policy *p;
    crioimg_result r;
    if (mkdtemp(dir) == NULL) { CHECK(!"mkdtemp"); free(home_copy); return; }

    /* an explicit path that does not exist: an error, never the default */
    snprintf(path, sizeof path, "%s/missing.json", dir);
    CHECK(crioimg_policy_load(&p, path, NULL, err, sizeof err) == CRIOIMG_ERR_NOT_FOUND && p == NULL);
    snprintf(name, sizeof name, "open %s: no such file or directory", path);
    CHECK_STR(err, name);
    /* no file anywhere: the built-in accept-everything policy */
    setenv("HOME", dir, 1);
    CHECK(crioimg__policy_load(&p, NULL, path, NULL, err, sizeof err) == CRIOIMG_OK && p != NULL);
    CHECK_STR(err, "");
    CHECK_STR(crioimg_policy_path(p), "");
    CHECK(crioimg_policy_check(p, "docker://busybox", 16, err, sizeof err) == CRIOIMG_OK);
    crioimg_policy_free(p);
    /* the system file, then the user's file when it exists */
    snprintf(path2, sizeof path2, "%s/system.json", dir);
    policy_write(path2, PD(REJ));
    CHECK(crioimg__policy_load(&p, NULL, path2, NULL, err, sizeof err) == CRIOIMG_OK);
    CHECK_STR(crioimg_policy_path(p), path2);
    CHECK(crioimg_policy_check(p, "docker://busybox", 16, err, sizeof err) == CRIOIMG_ERR_POLICY_REJECTED);
    crioimg_policy_free(p);
    snprintf(path, sizeof path, "%s/.config", dir); mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/.config/containers", dir); mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/.config/containers/policy.json", dir);
    policy_write(path, PD(ACC));
    CHECK(crioimg__policy_load(&p, NULL, path2, NULL, err, sizeof err) == CRIOIMG_OK);
    CHECK_STR(crioimg_policy_path(p), path);
    CHECK(crioimg_policy_check(p, "docker://busybox", 16, err, sizeof err) == CRIOIMG_OK);
    crioimg_policy_free(p);
    /* an invalid user file is an error naming it, not a fallback */
    policy_write(path, "{\"default\":[]}");
    CHECK(crioimg__policy_load(&p, NULL, path2, NULL, err, sizeof err) == CRIOIMG_ERR_POLICY_INVALID && p == NULL);
    snprintf(name, sizeof name, "invalid policy in \"%s\": List of verification policy requirements must not be empty", path);
    CHECK_STR(err, name);
    unlink(path);

    /* a FIFO with no writer: refused at once (a blocking open would hang here) */
    snprintf(path, sizeof path, "%s/fifo.json", dir);
    CHECK(mkfifo(path, 0600) == 0);
    r = crioimg_policy_load(&p, path, NULL, err, sizeof err);
    CHECK(r == CRIOIMG_ERR_IO && p == NULL);
    snprintf(name, sizeof name, "read %s: a FIFO, not a regular file", path);
    CHECK_STR(err, name);
    unlink(path);
    CHECK(crioimg_policy_load(&p, "/dev/null", NULL, err, sizeof err) == CRIOIMG_ERR_IO);
    CHECK(crioimg_policy_load(&p, "/dev/zero", NULL, err, sizeof err) == CRIOIMG_ERR_IO);   /* never read to the cap */
    CHECK(crioimg_policy_load(&p, dir, NULL, err, sizeof err) == CRIOIMG_ERR_IO);
    /* over 1 MiB: refused */
    {
        FILE *f;
        size_t k;
        snprintf(path, sizeof path, "%s/big.json", dir);
        if ((f = fopen(path, "wb")) != NULL) {
            fputs("{\"default\":[" ACC "]", f);
            for (k = 0; k < (CRIOIMG_POLICY_MAX_SIZE / 64) + 1; k++) fputs("                                                                ", f);
            fputs("}", f);
            fclose(f);
        }
        CHECK(crioimg_policy_load(&p, path, NULL, err, sizeof err) == CRIOIMG_ERR_TOO_BIG && p == NULL);
        CHECK(strstr(err, "larger than 1 MiB") != NULL);
        unlink(path);
        CHECK(crioimg_policy_parse(&p, "{}", CRIOIMG_POLICY_MAX_SIZE + 1, NULL, NULL, err, sizeof err) == CRIOIMG_ERR_TOO_BIG);
    }

    /* dir:, oci: and oci-archive: scopes hold resolved paths: a symbolic link to a scope's directory is
       in that scope; a name that does not exist yet resolves through its parent */
    {
        char json[1200], real[300], link[300], in[400];
        snprintf(real, sizeof real, "%s/real", dir);
        snprintf(link, sizeof link, "%s/link", dir);
        mkdir(real, 0700);
        CHECK(symlink("real", link) == 0);
        snprintf(json, sizeof json, "{\"default\":[" ACC "],\"transports\":{\"dir\":{\"%s\":[" REJ "]},\"oci\":{\"%s/img\":[" REJ "]},"
                 "\"oci-archive\":{\"%s/a.tar\":[" REJ "]}}}", real, real, real);
        CHECK(crioimg_policy_parse(&p, json, strlen(json), NULL, NULL, err, sizeof err) == CRIOIMG_OK);
        CHECK_STR(err, "");
        if (p) {
            snprintf(in, sizeof in, "dir:%s/x", link);           /* dir: starts at the parent */
            CHECK(crioimg_policy_check(p, in, strlen(in), err, sizeof err) == CRIOIMG_ERR_POLICY_REJECTED);
            snprintf(name, sizeof name, "Running image %s is rejected by policy.", in);
            CHECK_STR(err, name);
            snprintf(in, sizeof in, "dir:%s/../link/./x", real);
            CHECK(crioimg_policy_check(p, in, strlen(in), err, sizeof err) == CRIOIMG_ERR_POLICY_REJECTED);
            snprintf(in, sizeof in, "dir:%s", dir);
            CHECK(crioimg_policy_check(p, in, strlen(in), err, sizeof err) == CRIOIMG_OK);
            snprintf(in, sizeof in, "oci:%s/img:tag", link);     /* oci: the path itself */
            CHECK(crioimg_policy_check(p, in, strlen(in), err, sizeof err) == CRIOIMG_ERR_POLICY_REJECTED);
            snprintf(in, sizeof in, "oci:%s/other:tag", link);
            CHECK(crioimg_policy_check(p, in, strlen(in), err, sizeof err) == CRIOIMG_OK);
            snprintf(in, sizeof in, "oci-archive:%s/a.tar", link);
            CHECK(crioimg_policy_check(p, in, strlen(in), err, sizeof err) == CRIOIMG_ERR_POLICY_REJECTED);
            snprintf(in, sizeof in, "dir:%s/missing/x", link);  /* the parent must exist */
            CHECK(crioimg_policy_check(p, in, strlen(in), err, sizeof err) == CRIOIMG_ERR_IO);
            CHECK(strstr(err, "no such file or directory") != NULL);
            /* a relative path resolves against the working directory */
            CHECK(crioimg_policy_check(p, "dir:relative-nonexistent", 24, err, sizeof err) == CRIOIMG_OK);
            crioimg_policy_free(p);
        }
        unlink(link);
        rmdir(real);
    }
    /* containers-storage: only answerable without a section for it */
    CHECK(crioimg_policy_new_default(&p, NULL) == CRIOIMG_OK);
    CHECK(crioimg_policy_check(p, "containers-storage:busybox", 26, err, sizeof err) == CRIOIMG_OK);
    crioimg_policy_free(p);
    {
        static const char j[] = PT("containers-storage", "\"\":[" ACC "]");
        CHECK(crioimg_policy_parse(&p, j, sizeof j - 1, NULL, NULL, err, sizeof err) == CRIOIMG_OK);
        CHECK(crioimg_policy_check(p, "containers-storage:busybox", 26, err, sizeof err) == CRIOIMG_ERR_UNSUPPORTED);
        CHECK(strstr(err, "not supported by crioimg") != NULL);
        crioimg_policy_free(p);
    }

    snprintf(path, sizeof path, "%s/.config/containers", dir); rmdir(path);
    snprintf(path, sizeof path, "%s/.config", dir); rmdir(path);
    unlink(path2);
    rmdir(dir);
    if (home_copy) { setenv("HOME", home_copy, 1); free(home_copy); } else unsetenv("HOME");
}

static void test_policy(void)
{
    test_policy_parse();
    test_policy_scopes();
    test_policy_fixture();
    test_policy_files();
}
