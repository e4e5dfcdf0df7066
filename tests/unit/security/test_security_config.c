/* test_security_config.c: the security keys through every layer: rules and
 * name lists from a YAML file (sequences of mappings) and from text
 * (environment, nlog_config_set()), their error messages with
 * file:line:column, the rule and the key and what is accepted, rendering
 * back to text that reads back the same, and the checks of values set in
 * code. */
#include <unistd.h>

#include "sec_testutil.h"

#include "config/config_internal.h"

static nlog_error err;

static const char *write_file(const char *name, const char *text)
{
    const char *dir = tu_scratch(name);
    const char *path = tu_path(dir, "app.yaml");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static nlog_status load(const char *text, nlog_config *cfg)
{
    const char *path = write_file("seccfg", text);
    nlog_config_init(cfg);
    memset(&err, 0, sizeof err);
    return nlog_config_load_file(path, cfg, &err);
}

static void expect(const char *text, const char *where, const char *what)
{
    nlog_config cfg;
    assert_int_equal(load(text, &cfg), NLOG_ECONFIG);
    if (!strstr(err.message, where) || !strstr(err.message, what))
        fail_msg("message '%s' lacks '%s' or '%s'", err.message, where, what);
    assert_null(strchr(err.message, '\n'));
}

static void rules_from_a_file(void **state)
{
    (void) state;
    nlog_config cfg;
    assert_int_equal(load("security:\n"
                          "  brute_force:\n"
                          "    threshold: 10\n"
                          "  rules:\n"
                          "    - name: admin_probe\n"
                          "      event_type: [PERMISSION_DENIED, ACCESS_VIOLATION]\n"
                          "      match: {resource: \"/admin*\"}\n"
                          "      group_by: ip_address\n"
                          "      count_distinct: resource\n"
                          "      threshold: 5\n"
                          "      window: 10m\n"
                          "      cooldown: 1h\n"
                          "      emit: BRUTE_FORCE_DETECTED\n"
                          "      severity: critical\n"
                          "    - name: ldap\n"
                          "      pattern: '[)(|*]\\s*\\(\\s*\\w+\\s*='\n"
                          "      fields: query, input\n"
                          "      group_by: ip_address\n"
                          "    - {name: seq, event_type: DATA_EXPORT, preceded_by: PRIVILEGE_ESCALATION,"
                          " group_by: user_id, window: 90s}\n",
                          &cfg),
                     NLOG_OK);
    assert_int_equal(cfg.security_brute_force.threshold, 10);
    assert_int_equal(cfg.security_rules.n, 3);
    const nlog_security_rule *r = &cfg.security_rules.rule[0];
    assert_string_equal(r->name, "admin_probe");
    assert_int_equal(r->n_event_types, 2);
    assert_string_equal(r->event_types[1], "ACCESS_VIOLATION");
    assert_int_equal(r->n_match, 1);
    assert_string_equal(r->match[0].field, "resource");
    assert_string_equal(r->match[0].value, "/admin");
    assert_int_equal(r->match[0].prefix, 1);
    assert_string_equal(r->count_distinct, "resource");
    assert_int_equal(r->threshold, 5);
    assert_int_equal(r->window, 600);
    assert_int_equal(r->cooldown, 3600);
    assert_int_equal(r->emit, NLOG_SEC_BRUTE_FORCE_DETECTED);
    assert_int_equal(r->severity, NLOG_SEC_SEVERITY_CRITICAL);
    r = &cfg.security_rules.rule[1];
    assert_string_equal(r->pattern, "[)(|*]\\s*\\(\\s*\\w+\\s*=");
    assert_int_equal(r->n_fields, 2);
    assert_string_equal(r->fields[1], "input");
    assert_int_equal(r->threshold, 1);  /* default */
    assert_int_equal(r->window, 60);    /* default */
    assert_int_equal(r->cooldown, 60);  /* default: the window */
    assert_int_equal(r->emit, NLOG_SEC_SUSPICIOUS_ACTIVITY);
    r = &cfg.security_rules.rule[2];
    assert_int_equal(r->n_preceded_by, 1);
    assert_int_equal(r->window, 90);

    /* the rendering reads back to the same bytes */
    const nlog__cfg_key *k = nlog__cfg_key_find("security.rules", 14);
    assert_non_null(k);
    static char text[65536];
    nlog__cfg_value_text(k, &cfg, text, sizeof text);
    nlog_config back;
    nlog_config_init(&back);
    char why[NLOG__CFG_WHY_MAX];
    if (nlog__cfg_parse_value(k, text, strlen(text), &back, why, sizeof why) != NLOG_OK)
        fail_msg("%s\n%s", text, why);
    assert_memory_equal(&back.security_rules, &cfg.security_rules, sizeof cfg.security_rules);
}

static void rule_errors_name_the_rule_the_key_and_what_is_accepted(void **state)
{
    (void) state;
    expect("security:\n  rules:\n    - name: a\n      group_by: ip_address\n      threshold: 0\n",
           "app.yaml:5:18: security.rules: rule 1 ('a'): threshold: '0' is out of range",
           "accepted: 1 to 10000");
    expect("security:\n  rules:\n    - name: a\n      group_by: ip_address\n"
           "    - name: b\n      treshold: 3\n      group_by: ip_address\n",
           "app.yaml:6:7: security.rules: rule 2 ('b'): unknown key 'treshold'",
           "did you mean 'threshold'? accepted keys: name, event_type");
    expect("security:\n  rules:\n    - name: a\n      group_by: ip_address\n      pattern: '(abc'\n",
           "app.yaml:5:16: security.rules: rule 1 ('a'): pattern: does not compile at offset 4",
           "accepted: a PCRE2 regular expression");
    expect("security:\n  rules:\n    - name: a\n", "app.yaml:3:7: security.rules: rule 1 ('a'): group_by: missing",
           "accepted: a field name");
    expect("security:\n  rules:\n    - group_by: x\n", "rule 1: name: missing", "accepted: a unique name");
    expect("security:\n  rules:\n    - {name: brute_force, group_by: x}\n",
           "'brute_force' is the name of a built-in detector", "accepted: another name");
    expect("security:\n  rules:\n    - {name: a, group_by: x}\n    - {name: a, group_by: y}\n",
           "app.yaml:4:7: security.rules: rule 2 ('a'): name: 'a' is the name of rule 1 too", "");
    expect("security:\n  rules:\n    - {name: a, group_by: x, window: 5y}\n",
           "rule 1 ('a'): window: '5y' is not a duration", "accepted: a number of seconds, or with");
    expect("security:\n  rules:\n    - {name: a, group_by: x, emit: ALERT}\n",
           "emit: unknown value 'ALERT'", "accepted: BRUTE_FORCE_DETECTED or SUSPICIOUS_ACTIVITY");
    expect("security:\n  rules:\n    - {name: a, group_by: x, severity: extreme}\n",
           "severity: unknown severity 'extreme'", "accepted: LOW, MEDIUM, HIGH, CRITICAL");
    expect("security:\n  rules:\n    - {name: a, group_by: x, event_type: login_failure}\n",
           "event_type: 'login_failure' is not valid", "accepted: event type names");
    expect("security:\n  rules:\n    - {name: a, group_by: x, count_distinct: y, preceded_by: LOGOUT}\n",
           "count_distinct and preceded_by cannot be combined", "accepted: one of them");
    expect("security:\n  rules:\n    - {name: a, group_by: x, threshold: 2, threshold: 3}\n",
           "rule 1 ('a'): threshold: given twice", "");
    expect("security:\n  rules:\n    name: a\n", "app.yaml:3:5: security.rules: expected a sequence of rules, found a mapping",
           "accepted: a sequence of at most 16 rules");
    expect("security:\n  rules:\n    - *anchor\n", "aliases (*name) are not supported", "");
    expect("security:\n  rules:\n    - {name: a, group_by: x, match: {resource: [1, 2]}}\n",
           "match: resource: expected a single value", "");
    /* seventeen rules */
    char many[8192] = "security:\n  rules:\n";
    for (int i = 0; i < 17; i++) {
        char line[80];
        snprintf(line, sizeof line, "    - {name: r%d, group_by: x}\n", i);
        strcat(many, line);
    }
    expect(many, "rule 17: more than 16 rules", "accepted: at most 16 custom rules");
}

static void rules_and_lists_from_text(void **state)
{
    (void) state;
    nlog_config cfg;
    nlog_config_init(&cfg);
    memset(&err, 0, sizeof err);
    assert_int_equal(nlog_config_set(&cfg, "security.rules",
                                     "[{name: probe, event_type: PERMISSION_DENIED, "
                                     "group_by: ip_address, threshold: 5, window: 1m}]",
                                     &err),
                     NLOG_OK);
    assert_int_equal(cfg.security_rules.n, 1);
    assert_int_equal(cfg.security_rules.rule[0].window, 60);
    assert_int_equal(nlog_config_set(&cfg, "security.rules", "[{name: p, group_by: x, threshold: -1}]",
                                     &err),
                     NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "security.rules: at column 36 of the value: rule 1 ('p'): threshold:"));
    assert_int_equal(cfg.security_rules.n, 1); /* unchanged on failure */
    assert_int_equal(nlog_config_set(&cfg, "security.rules", "[{name: p", &err), NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "invalid YAML"));

    /* name lists: commas or a sequence, defaults, duplicates */
    assert_int_equal(nlog_config_set(&cfg, "mask_fields", "defaults, ssn, SSN", &err), NLOG_OK);
    int n = cfg.mask_fields.n;
    assert_string_equal(cfg.mask_fields.names[n - 1], "ssn");
    assert_int_equal(nlog_config_set(&cfg, "mask_fields", "[pin, card]", &err), NLOG_OK);
    assert_int_equal(cfg.mask_fields.n, 2);
    assert_int_equal(nlog_config_set(&cfg, "mask_fields", "", &err), NLOG_OK);
    assert_int_equal(cfg.mask_fields.n, 0);
    assert_int_equal(nlog_config_set(&cfg, "mask_fields", "a b", &err), NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "mask_fields: 'a b' is not a field name"));
    assert_int_equal(nlog_config_set(&cfg, "encrypt_fields", "defaults", &err), NLOG_OK);
    assert_string_equal(cfg.encrypt_fields.names[0], "defaults"); /* only mask lists expand it */

    /* the public key */
    char pk[NLOG_ENCRYPTION_KEY_B64_SIZE], sk[NLOG_ENCRYPTION_KEY_B64_SIZE];
    assert_int_equal(nlog_encryption_keypair(pk, sk), NLOG_OK);
    assert_int_equal(nlog_config_set(&cfg, "encryption_public_key", pk, &err), NLOG_OK);
    assert_string_equal(cfg.encryption_public_key, pk);
    assert_int_equal(nlog_config_set(&cfg, "encryption_public_key", "AAAA", &err), NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "is not a public key; accepted: a public key of 32 bytes"));

    /* the environment */
    nlog_config in, out;
    tu_config(&in, NULL);
    in.use_environment = 1;
    setenv("NETLINK_LOG_SECURITY_BRUTE_FORCE_THRESHOLD", "7", 1);
    setenv("NETLINK_LOG_MASK_FIELDS", "defaults,ssn", 1);
    setenv("NETLINK_LOG_SECURITY_RULES", "[{name: e, group_by: user_id}]", 1);
    sec_resolved(&in, &out);
    unsetenv("NETLINK_LOG_SECURITY_BRUTE_FORCE_THRESHOLD");
    unsetenv("NETLINK_LOG_MASK_FIELDS");
    unsetenv("NETLINK_LOG_SECURITY_RULES");
    assert_int_equal(out.security_brute_force.threshold, 7);
    assert_string_equal(out.mask_fields.names[out.mask_fields.n - 1], "ssn");
    assert_int_equal(out.security_rules.n, 1);
    assert_string_equal(out.security_rules.rule[0].name, "e");
}

static void defaults_and_code_layer(void **state)
{
    (void) state;
    nlog_config in, out;
    tu_config(&in, NULL);
    sec_resolved(&in, &out);
    assert_int_equal(out.security_detection, 1);
    assert_int_equal(out.security_memory_cap, 64 * 1048576);
    assert_int_equal(out.security_brute_force.threshold, 5);
    assert_int_equal(out.security_brute_force.window, 300);
    assert_int_equal(out.security_rules.n, 0);
    assert_int_equal(out.encrypt_fields.n, 0);
    assert_true(out.mask_fields.n > 10);
    assert_string_equal(out.mask_fields.names[0], "password");
    assert_int_equal(out.security_pattern_fields.n, 12);
    assert_int_equal(out.audit_lifecycle, 0); /* tu_config turns it off */

    /* a rule set in code is checked like one from the file */
    tu_config(&in, NULL);
    in.security_rules.n = 1;
    memset(&in.security_rules.rule[0], 0, sizeof in.security_rules.rule[0]);
    snprintf(in.security_rules.rule[0].name, NLOG_SECURITY_NAME_MAX, "coded");
    snprintf(in.security_rules.rule[0].group_by, NLOG_SECURITY_NAME_MAX, "user_id");
    in.security_rules.rule[0].threshold = 3;
    in.security_rules.rule[0].window = 60;
    in.security_rules.rule[0].emit = NLOG_SEC_SUSPICIOUS_ACTIVITY;
    in.security_rules.rule[0].severity = NLOG_SEC_SEVERITY_LOW;
    sec_resolved(&in, &out);
    assert_int_equal(out.security_rules.n, 1);
    in.security_rules.rule[0].threshold = 0;
    memset(&err, 0, sizeof err);
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "code: security.rules: rule 1: threshold: 0 is out of range"));
    in.security_rules.rule[0].threshold = 3;
    snprintf(in.security_rules.rule[0].pattern, NLOG_SECURITY_PATTERN_MAX, "(x");
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "pattern: does not compile"));
    tu_config(&in, NULL);
    in.security_memory_cap = 1000;
    assert_int_equal(nlog_config_resolve(&in, &out, &err), NLOG_ECONFIG);
    assert_non_null(strstr(err.message, "security.memory_cap"));
}

static void show_lists_every_security_key(void **state)
{
    (void) state;
    /* nlog config show goes through nlog_config_explain(): every row renders */
    const nlog__cfg_key *k = nlog__cfg_key_find("mask_fields", 11);
    nlog_config in, out;
    tu_config(&in, NULL);
    sec_resolved(&in, &out);
    char text[NLOG__CFG_VALUE_MAX];
    nlog__cfg_value_text(k, &out, text, sizeof text);
    assert_true(strncmp(text, "[password, passwd, pwd, secret, token", 37) == 0);
    /* names YAML would read otherwise are quoted, and read back the same */
    nlog_config c;
    nlog_error err2;
    nlog_config_init(&c);
    assert_int_equal(nlog_config_set(&c, "mask_fields", "-, null, .x, a-b", &err2), NLOG_OK);
    nlog__cfg_value_text(k, &c, text, sizeof text);
    assert_string_equal(text, "[\"-\", \"null\", \".x\", a-b]");
    nlog_config back;
    nlog_config_init(&back);
    assert_int_equal(nlog_config_set(&back, "mask_fields", text, &err2), NLOG_OK);
    assert_memory_equal(&back.mask_fields, &c.mask_fields, sizeof c.mask_fields);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_from_a_file),
        cmocka_unit_test(rule_errors_name_the_rule_the_key_and_what_is_accepted),
        cmocka_unit_test(rules_and_lists_from_text),
        cmocka_unit_test(defaults_and_code_layer),
        cmocka_unit_test(show_lists_every_security_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
