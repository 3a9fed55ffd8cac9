/* test_cmd.c - the master console's command parser. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mpift/mpift.h"
#include "service/console_cmd.h"
#include "unit_main.h"

static struct mpift_cmd cmd;
static char err[512];

/* Parse `line` in a job of `nranks`; expect success. */
static void ok(const char *line, int nranks)
{
    err[0] = '\0';
    ck_assert_msg(mpift_cmd_parse(line, strlen(line), nranks, &cmd, err, sizeof(err)) == MPIFT_OK,
                  "\"%s\" refused: %s", line, err);
}

/* Parse `line`; expect MPIFT_ERR_USAGE with `phrase` in the message and no command. */
static void bad(const char *line, int nranks, const char *phrase)
{
    err[0] = '\0';
    ck_assert_msg(mpift_cmd_parse(line, strlen(line), nranks, &cmd, err, sizeof(err)) == MPIFT_ERR_USAGE,
                  "\"%s\" accepted", line);
    ck_assert_msg(strstr(err, phrase) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", line, err, phrase);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_NONE);
}

START_TEST(each_command)
{
    ok("ranks", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_RANKS);
    ck_assert_str_eq(cmd.file, "");

    ok("send data.bin 2", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_SEND);
    ck_assert_str_eq(cmd.file, "data.bin");
    ck_assert_int_eq(cmd.rank, 2);

    ok("get out/result.txt 3", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_GET);
    ck_assert_str_eq(cmd.file, "out/result.txt");
    ck_assert_int_eq(cmd.rank, 3);

    ok("relay a/b.dat 1 3", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_RELAY);
    ck_assert_str_eq(cmd.file, "a/b.dat");
    ck_assert_int_eq(cmd.rank, 1);
    ck_assert_int_eq(cmd.to, 3);

    ok("bcast input.h5", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_BCAST);
    ck_assert_str_eq(cmd.file, "input.h5");

    ok("ls 1", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_LS);
    ck_assert_int_eq(cmd.rank, 1);
    ck_assert_str_eq(cmd.file, "");

    ok("help", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_HELP);

    ok("quit", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_QUIT);

    ok("exit", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_QUIT);

    /* highest worker, and a big job */
    ok("send f 3", 4);
    ck_assert_int_eq(cmd.rank, 3);
    ok("relay f 4095 1", 4096);
    ck_assert_int_eq(cmd.rank, 4095);
    ck_assert_int_eq(cmd.to, 1);

    /* commands are case-sensitive */
    bad("SEND f 2", 4, "unknown command");
}
END_TEST

START_TEST(blank_and_comments)
{
    static const char *const lines[] = { "", " ", "\t \t", "\n", "\r\n", "#", "# send f 2",
                                         "   # indented comment", "\t#tab" };
    size_t i;

    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        memset(&cmd, 0x5a, sizeof(cmd));
        ok(lines[i], 4);
        ck_assert_int_eq(cmd.op, MPIFT_CMD_NONE);
    }

    /* a comment after the words ends the line */
    ok("send f 2 # to the second node", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_SEND);
    ck_assert_str_eq(cmd.file, "f");
    ck_assert_int_eq(cmd.rank, 2);
    ok("quit #now", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_QUIT);
    /* ... but '#' inside a word, quoted or escaped is a character */
    bad("quit#now", 4, "unknown command \"quit#now\"");
    ok("send a#b 2", 4);
    ck_assert_str_eq(cmd.file, "a#b");
    ok("send \\#x 2", 4);
    ck_assert_str_eq(cmd.file, "#x");
    ok("send \"#x\" 2", 4);
    ck_assert_str_eq(cmd.file, "#x");
}
END_TEST

START_TEST(quoting)
{
    ok("send \"my file.dat\" 2", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_SEND);
    ck_assert_str_eq(cmd.file, "my file.dat");
    ck_assert_int_eq(cmd.rank, 2);

    ok("bcast 'a b'", 4);
    ck_assert_str_eq(cmd.file, "a b");

    /* adjacent quoted parts join into one word, as in the shell */
    ok("bcast 'it''s'", 4);
    ck_assert_str_eq(cmd.file, "its");
    ok("bcast my\" \"file", 4);
    ck_assert_str_eq(cmd.file, "my file");
    ok("bcast \"it's\"", 4);
    ck_assert_str_eq(cmd.file, "it's");
    ok("bcast 'say \"hi\"'", 4);
    ck_assert_str_eq(cmd.file, "say \"hi\"");

    /* backslash-escaped quote and backslash inside double quotes */
    ok("bcast \"a \\\"quoted\\\" name\"", 4);
    ck_assert_str_eq(cmd.file, "a \"quoted\" name");
    ok("bcast \"back\\\\slash\"", 4);
    ck_assert_str_eq(cmd.file, "back\\slash");

    /* no escapes inside single quotes */
    ok("bcast 'a\\b'", 4);
    ck_assert_str_eq(cmd.file, "a\\b");

    /* backslash-escaped blank and quote outside quotes */
    ok("send my\\ file.dat 3", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_SEND);
    ck_assert_str_eq(cmd.file, "my file.dat");
    ck_assert_int_eq(cmd.rank, 3);
    ok("bcast it\\'s", 4);
    ck_assert_str_eq(cmd.file, "it's");
    ok("bcast tab\\\there", 4);
    ck_assert_str_eq(cmd.file, "tab\there");

    /* a lone trailing backslash stays */
    ok("bcast dir\\", 4);
    ck_assert_str_eq(cmd.file, "dir\\");

    /* quoted rank numbers are still numbers */
    ok("relay f '1' \"2\"", 4);
    ck_assert_int_eq(cmd.rank, 1);
    ck_assert_int_eq(cmd.to, 2);

    /* quoted command name */
    ok("\"help\"", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_HELP);
}
END_TEST

START_TEST(utf8_names_byte_exact)
{
    /* "données été.txt", "日本語/ファイル", an emoji */
    ok("send \"donn\xc3\xa9" "es \xc3\xa9t\xc3\xa9.txt\" 1", 3);
    ck_assert_str_eq(cmd.file, "donn\xc3\xa9" "es \xc3\xa9t\xc3\xa9.txt");
    ck_assert_uint_eq(strlen(cmd.file), 18);
    ok("bcast \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab", 3);
    ck_assert_str_eq(cmd.file, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xe3\x83\x95\xe3\x82\xa1\xe3\x82\xa4\xe3\x83\xab");
    ok("get '\xf0\x9f\x98\x80 smile' 2", 3);
    ck_assert_str_eq(cmd.file, "\xf0\x9f\x98\x80 smile");
    ck_assert_int_eq(cmd.rank, 2);
    /* bytes that are not valid UTF-8 are kept too */
    ok("bcast \xff\xfe\x80", 3);
    ck_assert_str_eq(cmd.file, "\xff\xfe\x80");
}
END_TEST

START_TEST(unterminated_quote)
{
    bad("send \"my file.dat 2", 4, "unterminated \" quote");
    bad("send 'my file.dat 2", 4, "unterminated ' quote");
    bad("bcast \"a\\\"", 4, "unterminated \" quote");
    bad("\"", 4, "unterminated");
    bad("send f '2", 4, "unterminated ' quote");
}
END_TEST

START_TEST(bad_arity)
{
    bad("send", 4, "usage: send FILE RANK");
    bad("send f", 4, "usage: send FILE RANK");
    bad("send f", 4, "got 1");
    bad("send f 2 3", 4, "usage: send FILE RANK");
    bad("get", 4, "usage: get FILE RANK");
    bad("get f", 4, "usage: get FILE RANK");
    bad("get f 1 2", 4, "usage: get FILE RANK");
    bad("relay f", 4, "usage: relay FILE FROM TO");
    bad("relay f 1", 4, "usage: relay FILE FROM TO");
    bad("relay f 1 2 3", 4, "usage: relay FILE FROM TO");
    bad("bcast", 4, "usage: bcast FILE");
    bad("bcast", 4, "1 argument, got 0");
    bad("bcast a b", 4, "usage: bcast FILE");
    bad("ls", 4, "usage: ls RANK");
    bad("ls 1 2", 4, "usage: ls RANK");
    bad("ranks 1", 4, "usage: ranks");
    bad("help me", 4, "usage: help");
    bad("quit now", 4, "usage: quit");
    bad("exit 0", 4, "usage: exit");
    /* a comment does not count as arguments */
    bad("send f # 2", 4, "usage: send FILE RANK");
    /* too many words at all */
    bad("bcast a b c d e f g h", 4, "too many words");
    bad("bcast a b c d e f g", 4, "usage: bcast FILE");

    /* an empty FILE.  (cmd.op is not reset on this path; the caller in
     * console.c only looks at the return code, so only that is checked.) */
    ck_assert_int_eq(mpift_cmd_parse("send \"\" 2", strlen("send \"\" 2"), 4, &cmd, err, sizeof(err)), MPIFT_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err, "usage: send FILE RANK"));
    ck_assert_ptr_nonnull(strstr(err, "FILE is empty"));
    ck_assert_int_eq(mpift_cmd_parse("bcast ''", strlen("bcast ''"), 4, &cmd, err, sizeof(err)), MPIFT_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err, "FILE is empty"));
    ck_assert_int_eq(mpift_cmd_parse("relay \"\" 1 2", strlen("relay \"\" 1 2"), 4, &cmd, err, sizeof(err)), MPIFT_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err, "usage: relay FILE FROM TO"));
}
END_TEST

/* A NUL byte in a line read from the console: refused whole, never a
 * name cut short at it ("send a.dat\0.x 2" would send a.dat). */
START_TEST(nul_byte)
{
    static const char line[] = "send worker_1.log\0.evil 2\n";

    ck_assert_int_eq(mpift_cmd_parse(line, sizeof(line) - 1, 4, &cmd, err, sizeof(err)), MPIFT_ERR_USAGE);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_NONE);
    ck_assert_ptr_nonnull(strstr(err, "a NUL byte at byte 18"));
}
END_TEST

START_TEST(bad_numbers)
{
    bad("send f x 4", 4, "usage: send FILE RANK");
    bad("send f x", 4, "RANK \"x\" is not a rank number");
    bad("send f x", 4, "workers are 1..3");
    bad("send f 2x", 4, "RANK \"2x\" is not a rank number");
    bad("send f ''", 4, "RANK \"\" is not a rank number");
    bad("ls \"\"", 4, "RANK \"\" is not a rank number");
    bad("get f 99999999999999999999", 4, "\"99999999999999999999\" is not a rank number");
    bad("get f 4294967298", 4, "is not a rank number");
    bad("ls 0x1", 4, "is not a rank number");
    bad("ls 1.0", 4, "is not a rank number");
    bad("ls -1", 4, "RANK \"-1\" is not a rank number (workers are 1..3)");
    bad("ls +2", 4, "RANK \"+2\" is not a rank number");
    bad("ls 0", 4, "RANK 0 is the master");
    bad("ls 0", 4, "workers are 1..3");
    bad("send f 4", 4, "RANK 4 is out of range: workers are 1..3");
    bad("get f 100", 8, "workers are 1..7");
    bad("relay f x 2", 4, "FROM \"x\" is not a rank number");
    bad("relay f 0 2", 4, "FROM 0 is the master");
    bad("relay f 5 2", 4, "FROM 5 is out of range");
    bad("relay f 1 y", 4, "TO \"y\" is not a rank number");
    bad("relay f 1 0", 4, "TO 0 is the master");
    bad("relay f 1 4", 4, "TO 4 is out of range: workers are 1..3");

    /* a job of one rank has no workers at all */
    bad("send f 1", 1, "no workers");
    bad("ls 0", 1, "no workers");
    bad("relay f 1 2", 1, "no workers");
    /* ...but commands without a rank still work */
    ok("bcast f", 1);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_BCAST);
    ok("ranks", 1);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_RANKS);

    /* two ranks: exactly one worker */
    ok("ls 1", 2);
    ck_assert_int_eq(cmd.rank, 1);
    bad("ls 2", 2, "workers are 1..1");
}
END_TEST

START_TEST(relay_to_itself)
{
    bad("relay f 2 2", 4, "FROM and TO must differ");
    bad("relay f 1 1", 2, "to itself");
    ok("relay f 2 1", 4);
    ck_assert_int_eq(cmd.rank, 2);
    ck_assert_int_eq(cmd.to, 1);
}
END_TEST

START_TEST(unknown_command)
{
    bad("copy f 2", 4, "type help");
    bad("copy f 2", 4, "unknown command \"copy\"");
    bad("sendd f 2", 4, "type help");
    bad("sen f 2", 4, "type help");
    bad("'' f", 4, "type help");
}
END_TEST

START_TEST(too_long_line)
{
    char *line = malloc(MPIFT_CMD_LINE_MAX + 16);
    size_t n;

    ck_assert_ptr_nonnull(line);

    /* exactly MPIFT_CMD_LINE_MAX - 1 bytes: accepted */
    strcpy(line, "bcast ");
    n = strlen(line);
    memset(line + n, 'a', MPIFT_CMD_LINE_MAX - 1 - n);
    line[MPIFT_CMD_LINE_MAX - 1] = '\0';
    ok(line, 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_BCAST);
    ck_assert_uint_eq(strlen(cmd.file), MPIFT_CMD_LINE_MAX - 1 - n);

    /* one more: refused */
    memset(line + n, 'a', MPIFT_CMD_LINE_MAX - n);
    line[MPIFT_CMD_LINE_MAX] = '\0';
    bad(line, 4, "line too long");

    /* a long line of blanks or a long comment is refused too */
    memset(line, ' ', MPIFT_CMD_LINE_MAX + 8);
    line[MPIFT_CMD_LINE_MAX + 8] = '\0';
    bad(line, 4, "line too long");

    /* many short words within the limit still parse */
    memset(line, ' ', MPIFT_CMD_LINE_MAX - 1);
    line[MPIFT_CMD_LINE_MAX - 1] = '\0';
    memcpy(line, "relay", 5);
    memcpy(line + 1000, "x", 1);
    memcpy(line + 3000, "1", 1);
    memcpy(line + MPIFT_CMD_LINE_MAX - 2, "2", 1);
    ok(line, 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_RELAY);
    ck_assert_str_eq(cmd.file, "x");
    ck_assert_int_eq(cmd.rank, 1);
    ck_assert_int_eq(cmd.to, 2);

    free(line);
}
END_TEST

START_TEST(tabs_and_line_ends)
{
    ok("send\tdata.bin\t2", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_SEND);
    ck_assert_str_eq(cmd.file, "data.bin");
    ck_assert_int_eq(cmd.rank, 2);

    ok(" \t relay \t\t a  1\t 3 \t", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_RELAY);
    ck_assert_str_eq(cmd.file, "a");
    ck_assert_int_eq(cmd.rank, 1);
    ck_assert_int_eq(cmd.to, 3);

    ok("quit\r\n", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_QUIT);
    ok("ls 2\n", 4);
    ck_assert_int_eq(cmd.op, MPIFT_CMD_LS);
    ck_assert_int_eq(cmd.rank, 2);

    /* a quoted tab is part of the name */
    ok("bcast \"a\tb\"", 4);
    ck_assert_str_eq(cmd.file, "a\tb");
}
END_TEST

START_TEST(help_text)
{
    static const char *const names[] = { "ranks", "send FILE RANK", "get FILE RANK", "relay FILE FROM TO",
                                          "bcast FILE", "ls RANK", "help", "quit" };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        ck_assert_ptr_nonnull(strstr(mpift_cmd_help, names[i]));
}
END_TEST

static Suite *cmd_suite(void)
{
    Suite *s = suite_create("cmd");
    TCase *tc = tcase_create("Core");

    tcase_add_test(tc, each_command);
    tcase_add_test(tc, blank_and_comments);
    tcase_add_test(tc, quoting);
    tcase_add_test(tc, utf8_names_byte_exact);
    tcase_add_test(tc, unterminated_quote);
    tcase_add_test(tc, bad_arity);
    tcase_add_test(tc, bad_numbers);
    tcase_add_test(tc, nul_byte);
    tcase_add_test(tc, relay_to_itself);
    tcase_add_test(tc, unknown_command);
    tcase_add_test(tc, too_long_line);
    tcase_add_test(tc, tabs_and_line_ends);
    tcase_add_test(tc, help_text);
    suite_add_tcase(s, tc);
    return s;
}

MPIFT_UNIT_MAIN(cmd_suite)
