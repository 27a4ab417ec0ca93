package io.redtx.cli;

import io.redtx.api.RuntimeOptions;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * Where the participants are: {@code --participant} options and/or a properties file with the keys of the Spring Boot
 * starter ({@code redtx.participants.<name>}, {@code redtx.namespace}, {@code redtx.recovery.record-retention}), so
 * that an application's own configuration file can be given as it is.
 */
final class Connection {

    static final String PARTICIPANT_PREFIX = "redtx.participants.";

    @Option(
            names = {"-p", "--participant"},
            paramLabel = "NAME=URI",
            description = "A participant, as the application names it (repeatable; overrides the file's entry of that"
                    + " name): e.g. orders=redis://10.0.0.1:6379")
    Map<String, String> participants = new LinkedHashMap<>();

    @Option(
            names = {"-c", "--config"},
            paramLabel = "FILE",
            description = "A properties file with redtx.participants.<name>=<uri>, redtx.namespace and"
                    + " redtx.recovery.record-retention, the Spring Boot starter's keys")
    Path config;

    @Option(
            names = {"-n", "--namespace"},
            paramLabel = "PREFIX",
            description = "redtx's key namespace (default: the file's redtx.namespace, else redtx:)")
    String namespace;

    @Option(
            names = {"-t", "--timeout"},
            paramLabel = "DURATION",
            defaultValue = "5s",
            converter = DurationConverter.class,
            description = "Time limit of connecting and of each command on a participant: 500ms, 5s, 1m or ISO-8601"
                    + " (default: ${DEFAULT-VALUE})")
    Duration timeout;

    /**
     * The runtime's options: the participants (the file's in its order, then the options'), no recovery service (the
     * program runs a pass only when asked), the retention of the application (tombstones written by a resolution
     * last that long).
     *
     * @throws UsageException for no participant or an unreadable file
     */
    RuntimeOptions options() {
        Map<String, String> all = new LinkedHashMap<>();
        String ns = null;
        Duration retention = null;
        if (config != null) {
            Properties file = read(config);
            for (String key : file.stringPropertyNames().stream()
                    .sorted(Comparator.comparingInt(order(config)::indexOf))
                    .toList()) {
                String value = file.getProperty(key).trim();
                if (key.startsWith(PARTICIPANT_PREFIX)) {
                    all.put(key.substring(PARTICIPANT_PREFIX.length()), value);
                } else if (key.equals("redtx.namespace")) {
                    ns = value;
                } else if (key.equals("redtx.recovery.record-retention")
                        || key.equals("redtx.recovery.recordRetention")) {
                    retention = DurationConverter.parse(value);
                }
            }
        }
        all.putAll(participants);
        if (all.isEmpty()) {
            throw new UsageException("no participant: give --participant NAME=URI or --config FILE");
        }
        RuntimeOptions.Builder b = RuntimeOptions.builder();
        all.forEach(b::participant);
        if (namespace != null) {
            ns = namespace;
        }
        if (ns != null) {
            b.namespace(ns);
        }
        Duration kept = retention;
        return b.timeouts(t -> t.connect(timeout).read(timeout).commit(timeout).prepare(timeout))
                .recovery(r -> {
                    r.interval(Duration.ZERO);
                    if (kept != null) {
                        r.recordRetention(kept);
                    }
                })
                .build();
    }

    private static Properties read(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UsageException("cannot read " + file + ": " + e);
        }
        return p;
    }

    /** The keys of a properties file in the order it lists them, so participants keep the application's order. */
    private static List<String> order(Path file) {
        List<String> keys = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file)) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#") || t.startsWith("!")) {
                    continue;
                }
                int end = 0;
                while (end < t.length() && "=: \t".indexOf(t.charAt(end)) < 0) {
                    end++;
                }
                keys.add(t.substring(0, end));
            }
        } catch (IOException e) {
            throw new UsageException("cannot read " + file + ": " + e);
        }
        return keys;
    }

    /** Durations as the starter's properties write them ({@code 500ms}, {@code 5s}, {@code 1m}) or ISO-8601. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parse(value);
        }

        static Duration parse(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            try {
                if (v.startsWith("p")) {
                    return Duration.parse(value.trim());
                }
                if (v.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                }
                long n = Long.parseLong(v.substring(0, v.length() - 1));
                switch (v.charAt(v.length() - 1)) {
                    case 's':
                        return Duration.ofSeconds(n);
                    case 'm':
                        return Duration.ofMinutes(n);
                    case 'h':
                        return Duration.ofHours(n);
                    default:
                        break;
                }
            } catch (RuntimeException e) {
                // reported below
            }
            throw new UsageException("not a duration: '" + value + "' (500ms, 5s, 1m, 1h or ISO-8601 such as PT5S)");
        }
    }
}
