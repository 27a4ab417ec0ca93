package io.redtx.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Strict checks of a participant's Redis URI when the options are built, so that a typo fails at configuration time
 * with a {@link RedtxArgumentException} instead of at first use as an unavailable participant (a client library that
 * is lenient reads {@code redis://host:notaport} as host {@code host:notaport} on the default port, and ignores an
 * option it does not know). The syntax is Lettuce's, plus redtx's {@code redis-cluster://} and
 * {@code rediss-cluster://}; messages never show the password.
 */
final class RedisUris {

    static final String SCHEMES_TEXT = "redis://, rediss://, redis-socket://, redis-sentinel://, rediss-sentinel://,"
            + " redis-cluster:// or rediss-cluster://";

    private static final Set<String> SCHEMES = Set.of(
            "redis", "rediss", "redis-socket", "redis-sentinel", "rediss-sentinel", "redis-cluster", "rediss-cluster");

    /** Options Lettuce reads from the query, lower case (Lettuce ignores their case). */
    private static final Set<String> OPTIONS = Set.of(
            "timeout",
            "database",
            "db",
            "clientname",
            "libraryname",
            "libraryversion",
            "verifypeer",
            "sentinelmasterid");

    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9A-Fa-f:.%a-zA-Z]+]");
    private static final Pattern TIMEOUT = Pattern.compile("\\d{1,18}(ns|us|ms|s|m|h|d)?");
    private static final Pattern NUMBER = Pattern.compile("\\d+");
    private static final Set<String> VERIFY_PEER = Set.of("none", "ca", "full", "true", "false");

    private RedisUris() {}

    /**
     * @param participant the participant's name, for the message
     * @param uri the URI to check
     * @throws RedtxArgumentException naming the participant, the URI (password masked) and what is wrong
     */
    static void check(String participant, String uri) {
        String problem = problem(uri);
        if (problem != null) {
            throw new RedtxArgumentException(
                    null,
                    "participant '" + participant + "' has an invalid Redis URI " + quote(masked(uri)) + ": "
                            + problem);
        }
    }

    /** @return what is wrong with {@code uri}, or null */
    private static String problem(String uri) {
        if (uri == null) {
            return "it is null; it needs a " + SCHEMES_TEXT + " URI";
        }
        int schemeEnd = uri.indexOf("://");
        String scheme = schemeEnd < 0 ? "" : uri.substring(0, schemeEnd);
        if (!SCHEMES.contains(scheme)) {
            return "it needs a " + SCHEMES_TEXT + " URI";
        }
        String rest = uri.substring(schemeEnd + 3);
        boolean sentinel = scheme.endsWith("-sentinel");
        boolean cluster = scheme.endsWith("-cluster");
        boolean tls = scheme.startsWith("rediss");

        String masterId = null;
        int hash = rest.indexOf('#');
        if (hash >= 0) {
            masterId = rest.substring(hash + 1);
            rest = rest.substring(0, hash);
            if (!sentinel) {
                return "only a redis-sentinel:// URI takes a '#' (its master's name)";
            }
        }
        String query = null;
        int question = rest.indexOf('?');
        if (question >= 0) {
            query = rest.substring(question + 1);
            rest = rest.substring(0, question);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            rest = rest.substring(at + 1);
        }

        long database = 0;
        if (scheme.equals("redis-socket")) {
            if (rest.isEmpty()) {
                return "it names no socket path";
            }
        } else {
            int slash = rest.indexOf('/');
            String hosts = slash < 0 ? rest : rest.substring(0, slash);
            String path = slash < 0 ? "" : rest.substring(slash + 1);
            List<String> each = split(hosts, ',');
            if (each.size() > 1 && !sentinel && !cluster) {
                return "a " + scheme + ":// URI names one host, not " + each.size()
                        + " (several are for redis-sentinel:// and redis-cluster://)";
            }
            for (String host : each) {
                String wrong = hostProblem(host);
                if (wrong != null) {
                    return wrong;
                }
            }
            if (!path.isEmpty()) {
                if (!NUMBER.matcher(path).matches()) {
                    return "the database " + quote(path) + " is not a number";
                }
                database = number(path);
            }
        }

        if (query != null) {
            for (String pair : split(query, '&')) {
                int eq = pair.indexOf('=');
                String key = (eq < 0 ? pair : pair.substring(0, eq)).toLowerCase(Locale.ROOT);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                if (!OPTIONS.contains(key)) {
                    return "unknown option " + quote(eq < 0 ? pair : pair.substring(0, eq))
                            + " (known: timeout, database, db, clientName, libraryName, libraryVersion, verifyPeer,"
                            + " sentinelMasterId)";
                }
                if (eq < 0 || value.isEmpty()) {
                    return "option " + quote(pair.substring(0, eq < 0 ? pair.length() : eq)) + " has no value";
                }
                switch (key) {
                    case "timeout" -> {
                        if (!TIMEOUT.matcher(value).matches()) {
                            return "timeout " + quote(value) + " is not a number with an optional unit"
                                    + " (ns, us, ms, s, m, h, d)";
                        }
                    }
                    case "database", "db" -> {
                        if (!NUMBER.matcher(value).matches()) {
                            return "the database " + quote(value) + " is not a number";
                        }
                        database = number(value);
                    }
                    case "verifypeer" -> {
                        if (!tls) {
                            return "verifyPeer applies to TLS only (rediss://, rediss-sentinel:// or rediss-cluster://)";
                        }
                        if (!VERIFY_PEER.contains(value.toLowerCase(Locale.ROOT))) {
                            return "verifyPeer " + quote(value) + " is not one of FULL, CA, NONE";
                        }
                    }
                    case "sentinelmasterid" -> {
                        if (!sentinel) {
                            return "only a redis-sentinel:// URI takes sentinelMasterId";
                        }
                        masterId = value;
                    }
                    default -> {}
                }
            }
        }
        if (database > Integer.MAX_VALUE) {
            return "the database number is too large";
        }
        if (cluster && database != 0) {
            return "a Redis Cluster has no database " + database;
        }
        if (sentinel && (masterId == null || masterId.isEmpty())) {
            return "a redis-sentinel:// URI needs its master's name (?sentinelMasterId=<name> or #<name>)";
        }
        return null;
    }

    /** @return what is wrong with one {@code host[:port]} (an IPv6 address in brackets), or null */
    private static String hostProblem(String host) {
        if (host.isEmpty()) {
            return "it names no host";
        }
        String name;
        String port = null;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                return "host " + quote(host) + " opens '[' without closing it";
            }
            name = host.substring(0, close + 1);
            String after = host.substring(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    return "host " + quote(host) + " has " + quote(after) + " after its address";
                }
                port = after.substring(1);
            }
            if (!IPV6.matcher(name).matches()) {
                return "host " + quote(name) + " is not an IPv6 address";
            }
        } else {
            int colon = host.indexOf(':');
            name = colon < 0 ? host : host.substring(0, colon);
            port = colon < 0 ? null : host.substring(colon + 1);
            if (!HOST_NAME.matcher(name).matches()) {
                return "host " + quote(name) + " is not a host name or address";
            }
        }
        if (port != null && (!NUMBER.matcher(port).matches() || number(port) < 1 || number(port) > 65535)) {
            return "port " + quote(port) + " of host " + quote(name) + " is not a number from 1 to 65535";
        }
        return null;
    }

    /**
     * @return whether a valid {@code uri} connects with TLS: {@code rediss://}, {@code rediss-sentinel://} (to the
     *     Sentinels and to the master) or {@code rediss-cluster://}
     */
    static boolean tls(String uri) {
        return uri.startsWith("rediss://")
                || uri.startsWith("rediss-sentinel://")
                || uri.startsWith("rediss-cluster://");
    }

    /** @return whether a valid {@code uri} has the query option {@code verifyPeer} (in any case) */
    static boolean setsVerifyPeer(String uri) {
        int hash = uri.indexOf('#');
        String rest = hash < 0 ? uri : uri.substring(0, hash);
        int question = rest.indexOf('?');
        if (question < 0) {
            return false;
        }
        for (String pair : split(rest.substring(question + 1), '&')) {
            int eq = pair.indexOf('=');
            if ((eq < 0 ? pair : pair.substring(0, eq)).equalsIgnoreCase("verifyPeer")) {
                return true;
            }
        }
        return false;
    }

    /** The value of a string of digits; {@link Long#MAX_VALUE} when it does not fit. */
    private static long number(String digits) {
        return digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    }

    private static List<String> split(String text, char separator) {
        List<String> parts = new ArrayList<>();
        int from = 0;
        for (int i = text.indexOf(separator); i >= 0; i = text.indexOf(separator, from)) {
            parts.add(text.substring(from, i));
            from = i + 1;
        }
        parts.add(text.substring(from));
        return parts;
    }

    /**
     * The URI with its password replaced by {@code ***}: the user info's part after the first ':', or the whole user
     * info when it has no ':' (Lettuce reads {@code redis://secret@host} as a password alone).
     */
    static String masked(String uri) {
        if (uri == null) {
            return null;
        }
        int at = uri.lastIndexOf('@');
        if (at < 0) {
            return uri;
        }
        int scheme = uri.indexOf("://");
        int start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
        int colon = uri.indexOf(':', start);
        int keep = colon >= 0 && colon < at ? colon + 1 : start;
        return uri.substring(0, keep) + "***" + uri.substring(at);
    }

    private static String quote(String text) {
        return text == null ? "null" : "'" + text + "'";
    }
}
