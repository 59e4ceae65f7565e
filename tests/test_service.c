/* The image service (GetImageService of the seed): store operations through it, and ResolveNames with
   the seed's cases plus truncated IDs expanded through the store. */

static void test_service(void)
{
    static const char *const regs[] = { "testregistry.com", "registry.access.redhat.com", "docker.io" };
    static const char *const insecure[] = { "10.0.0.0/8", "myregistry:5000" };
    crioimg_service_opts o;
    crioimg_service *svc = NULL;
    crioimg_store *s = NULL;
    crioimg_candidates c;
    crioimg_image_list l;
    ts_image a, b;
    char err[256], prefix[8];
    const char *names[1];
    tests_context = "service";
    CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
    memset(&o, 0, sizeof o);
    o.registries = regs; o.nregistries = 3;
    o.insecure_registries = insecure; o.ninsecure = 2;
    o.no_resolver = 1;
    CHECK(crioimg_service_new(&svc, s, &o, err, sizeof err) == CRIOIMG_OK);
    CHECK(crioimg_service_store(svc) == s);
    CHECK_STR(crioimg_service_default_transport(svc), "docker://");
    ts_make(s, 1, &a);
    ts_make(s, 2, &b);
    names[0] = "docker.io/library/nginx:latest";
    CHECK(crioimg_store_add_image(s, a.manifest, names, 1) == CRIOIMG_OK);
    names[0] = "quay.io/x/y:1";
    CHECK(crioimg_store_add_image(s, b.manifest, names, 1) == CRIOIMG_OK);

    /* ResolveNames, the seed's table */
    CHECK(crioimg_service_resolve_names(svc, "nginx:latest", 12, &c) == CRIOIMG_OK && c.n == 3);
    if (c.n == 3) {
        CHECK_STR(c.items[0].name, "testregistry.com/nginx:latest");
        CHECK_STR(c.items[1].name, "registry.access.redhat.com/nginx:latest");
        CHECK_STR(c.items[2].name, "docker.io/library/nginx:latest");
    }
    crioimg_candidates_free(&c);
    CHECK(crioimg_service_resolve_names(svc, "mypersonalregistry.com/nginx:latest", 35, &c) == CRIOIMG_OK && c.n == 1);
    crioimg_candidates_free(&c);
    /* a truncated ID of an image in the store expands to the full ID */
    memcpy(prefix, a.id, 6); prefix[6] = '\0';
    CHECK(crioimg_service_resolve_names(svc, prefix, 6, &c) == CRIOIMG_OK && c.n == 1);
    if (c.n == 1) CHECK_STR(c.items[0].name, a.id);
    crioimg_candidates_free(&c);
    /* the seed asks the store first: a full ID it has is itself; one it does not have cannot be parsed */
    CHECK(crioimg_service_resolve_names(svc, a.id, 64, &c) == CRIOIMG_OK && c.n == 1);
    if (c.n == 1) CHECK_STR(c.items[0].name, a.id);
    crioimg_candidates_free(&c);
    CHECK(crioimg_service_resolve_names(svc, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 64, &c) != CRIOIMG_OK);
    CHECK(strstr(crioimg_service_error(svc), "cannot parse an image ID") != NULL);

    /* ListImages, ImageStatus, UntagImage, RemoveImage through the service */
    CHECK(crioimg_service_list_images(svc, NULL, &l) == CRIOIMG_OK && l.n == 2);
    crioimg_image_list_free(&l);
    CHECK(crioimg_service_image_status(svc, "nginx", &l) == CRIOIMG_OK && l.n == 1 && strcmp(l.images[0].id, a.id) == 0);
    crioimg_image_list_free(&l);
    CHECK(crioimg_service_untag_image(svc, "nginx") == CRIOIMG_OK);  /* its last name: the image goes */
    CHECK(crioimg_service_image_status(svc, a.id, &l) == CRIOIMG_ERR_IMAGE_UNKNOWN);
    crioimg_image_list_free(&l);
    CHECK(crioimg_service_remove_image(svc, b.id) == CRIOIMG_OK);
    CHECK(crioimg_service_list_images(svc, NULL, &l) == CRIOIMG_OK && l.n == 0);
    crioimg_image_list_free(&l);
    CHECK(crioimg_service_remove_image(svc, "nothing") == CRIOIMG_ERR_IMAGE_UNKNOWN && crioimg_service_error(svc)[0]);
    crioimg_service_free(svc);

    /* bad options */
    {
        static const char *const bad[] = { "10.0.0.0/33" };
        crioimg_service *x = NULL;
        memset(&o, 0, sizeof o);
        o.insecure_registries = bad; o.ninsecure = 1;
        CHECK(crioimg_service_new(&x, s, &o, err, sizeof err) == CRIOIMG_ERR_REGISTRY_CIDR && x == NULL && err[0]);
        /* the constructor's rule: every failure hands its text back, never empty */
        o.ninsecure = 0;
        o.nregistries = 1;   /* a count without its list */
        CHECK(crioimg_service_new(&x, s, &o, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS && x == NULL);
        CHECK(strncmp(err, "invalid service options: ", 25) == 0);
        o.nregistries = 0;
        o.default_transport = "docker-daemon-with-a-name-much-longer-than-any-transport-name-ever-is://";
        CHECK(crioimg_service_new(&x, s, &o, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS && x == NULL);
        CHECK_STR(err, "invalid service options: default_transport of 64 bytes or more");
        o.default_transport = NULL;
        CHECK(crioimg_service_new(NULL, s, &o, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS && err[0]);
        CHECK(crioimg_service_new(&x, s, &o, err, sizeof err) == CRIOIMG_OK && err[0] == '\0');
        crioimg_service_free(x);
        x = NULL;
        /* without a store: names resolve, store methods say there is none */
        CHECK(crioimg_service_new(&x, NULL, NULL, err, sizeof err) == CRIOIMG_OK && x != NULL);
        {
            crioimg_image_list nl;
            crioimg_candidates nc;
            memset(&nl, 0, sizeof nl);
            CHECK(crioimg_service_list_images(x, NULL, &nl) == CRIOIMG_ERR_INVALID_ARGS);
            CHECK_STR(crioimg_service_error(x), "the image service has no store");
            CHECK(crioimg_service_remove_image(x, "busybox") == CRIOIMG_ERR_INVALID_ARGS);
            CHECK(crioimg_service_resolve_names(x, "quay.io/a/b", 11, &nc) == CRIOIMG_OK && nc.n == 1);
            crioimg_candidates_free(&nc);
            CHECK(crioimg_service_can_pull(x, "oci:/tmp/x:y", NULL) == CRIOIMG_ERR_UNSUPPORTED);
            CHECK_STR(crioimg_service_error(x), "oci:/tmp/x:y: only docker:// images can be pulled");
        }
        crioimg_service_free(x);
        x = NULL;
        memset(&o, 0, sizeof o);
        o.default_transport = "containers-storage:";
        CHECK(crioimg_service_new(&x, s, &o, NULL, 0) == CRIOIMG_OK);
        CHECK_STR(crioimg_service_default_transport(x), "containers-storage:");
        crioimg_service_free(x);
    }
    crioimg_store_close(s);
}
