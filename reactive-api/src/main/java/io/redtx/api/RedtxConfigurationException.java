package io.redtx.api;

import java.util.Map;

/**
 * The runtime's configuration does not work with its participants as they are, found by
 * {@link TransactionRuntime#verify()}: a participant that cannot be reached at its URI, a Redis user refused or lacking
 * a command the scripts need, a durability below {@link ConnectionOptions#requireSyncedWrites()}. Retrying the same check
 * cannot fix it; changing the configuration or the deployment can.
 */
public final class RedtxConfigurationException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    /** By participant name, what is wrong with it. */
    private final Map<String, String> problems;

    /**
     * @param problems by participant name, what is wrong with it (in the order of the options), at least one
     * @param cause the first participant's failure, or {@code null}
     */
    public RedtxConfigurationException(Map<String, String> problems, Throwable cause) {
        super(message(problems), null, cause);
        this.problems = Map.copyOf(problems);
    }

    private static String message(Map<String, String> problems) {
        StringBuilder b = new StringBuilder()
                .append(problems.size())
                .append(problems.size() == 1 ? " participant is" : " participants are")
                .append(" not usable as configured: ");
        String separator = "";
        for (Map.Entry<String, String> p : problems.entrySet()) {
            b.append(separator).append("'").append(p.getKey()).append("': ").append(p.getValue());
            separator = "; ";
        }
        return b.toString();
    }

    /** @return by participant name, what is wrong with it */
    public Map<String, String> problems() {
        return problems;
    }
}
