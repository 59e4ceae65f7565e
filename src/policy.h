/* ---------------------------------------------------------------------------------------------------
   policy: the signature policy, containers-policy.json(5)

   containers/image's signature package (policy_config.go, policy_eval.go, policy_eval_simple.go) as far
   as crioimg verifies: the file is read with the same strictness (unknown and duplicate keys, a missing
   "default", an empty requirement list, unknown requirement types and every field of "signedBy",
   "signedBaseLayer" and "sigstoreSigned" are refused with c/image's texts, and a scope that the
   transport's ValidatePolicyConfigurationScope refuses is `Unknown key "SCOPE"`, as in c/image 5.23).
   A check picks the requirements the way PolicyContext.requirementsForImageRef does: the transport's
   section, then its PolicyConfigurationIdentity, then each of its PolicyConfigurationNamespaces in
   order, then the "" scope, else "default". For docker:// the identity is NAME:TAG or NAME@DIGEST, then
   the repository, each parent namespace, the registry host, and "*.domain" wildcards for each suffix of
   the host without its port; dir:, oci: and oci-archive: use the path resolved to an absolute path with
   symbolic links resolved (so the file system is consulted) and its parent directories; docker-archive:
   only the "" scope. Requirements are evaluated in order, as IsRunningImageAllowed does:
   "insecureAcceptAnything" passes, "reject" refuses with "Running image NAME is rejected by policy.",
   and "signedBy", "signedBaseLayer" and "sigstoreSigned" refuse with a "not supported by crioimg" text:
   crioimg verifies no signatures, so it never lets an image through a requirement it cannot check.

   Where no policy file exists at all (no --policy, no ~/.config/containers/policy.json, no
   /etc/containers/policy.json), crioimg_policy_load gives the built-in default: accept everything, the
   containers default that distributions install. (c/image's DefaultPolicy fails instead.)

   Hardening beyond c/image: a file that is not a regular file (a FIFO, a device, a directory) is refused
   without blocking (opened O_NONBLOCK, checked with fstat), files over 1 MiB are refused, and a NUL
   byte in any string (a "\u0000" escape) is refused with the file and line.

   HOW A PULL USES IT: load the policy once (crioimg_policy_load with --policy FILE or NULL); then, for
   each image pulled, call crioimg_policy_check with the transport-qualified name being pulled
   ("docker://quay.io/ns/img:tag", "oci:/dir:ref", ...) BEFORE any manifest or blob is fetched: for a
   registry name resolved through the search list, check each candidate ("docker://" + candidate) as it
   is tried. Anything but CRIOIMG_OK stops that pull; err holds the text for the user.
   --------------------------------------------------------------------------------------------------- */

typedef struct crioimg_policy crioimg_policy;

/* The most a policy file may hold; a longer one is ERR_TOO_BIG. */
#define CRIOIMG_POLICY_MAX_SIZE ((size_t)1 << 20)

/* Parses the text of a policy file, buf[0, len); name is the file named in error texts ("invalid
   policy in \"NAME\": ..."; NULL gives c/image's NewPolicyFromBytes texts without the prefix). alloc may
   be NULL. Results: OK, ERR_POLICY_INVALID (err says why, with c/image's text), ERR_TOO_BIG, ERR_NOMEM,
   ERR_INVALID_ARGS. *out is NULL on failure. */
CRIOIMG_API crioimg_result crioimg_policy_parse(crioimg_policy **out, const char *buf, size_t len, const char *name,
                                                const crioimg_allocator *alloc, char *err, size_t errcap);
/* Reads a policy file: path, else the default search ($HOME/.config/containers/policy.json when it
   exists, else /etc/containers/policy.json; when neither exists, the built-in accept-everything policy,
   which crioimg_policy_path() reports as ""). A path given that does not exist is ERR_NOT_FOUND; a file
   that cannot be read or is not a regular file is ERR_IO; over CRIOIMG_POLICY_MAX_SIZE, ERR_TOO_BIG. */
CRIOIMG_API crioimg_result crioimg_policy_load(crioimg_policy **out, const char *path, const crioimg_allocator *alloc,
                                               char *err, size_t errcap);
/* The built-in default policy (insecureAcceptAnything for everything). */
CRIOIMG_API crioimg_result crioimg_policy_new_default(crioimg_policy **out, const crioimg_allocator *alloc);
/* The file the policy came from ("" for the built-in default, and for crioimg_policy_parse without a
   name); owned by p. */
CRIOIMG_API const char *crioimg_policy_path(const crioimg_policy *p);
CRIOIMG_API void crioimg_policy_free(crioimg_policy *p);

/* May the image be pulled? name[0, n) is a transport-qualified name (crioimg_image_name_parse's grammar).
   OK: accepted. ERR_POLICY_REJECTED: a "reject" requirement applies. ERR_POLICY_UNSUPPORTED: a signature
   requirement applies, which crioimg cannot verify. A name that does not parse gives
   crioimg_image_name_parse's result; a path that cannot be resolved, ERR_IO; a containers-storage: name
   under a policy with a "containers-storage" section, ERR_UNSUPPORTED (its scopes name a store's driver
   and graph root). err (errcap bytes, may be NULL) gets the text. Thread-safe: p is not changed. */
CRIOIMG_API crioimg_result crioimg_policy_check(const crioimg_policy *p, const char *name, size_t n, char *err, size_t errcap);
/* The same for an already parsed name (its spans must still point into live text). */
CRIOIMG_API crioimg_result crioimg_policy_check_name(const crioimg_policy *p, const crioimg_image_name *name,
                                                     char *err, size_t errcap);
