package io.redtx.api.message;

import io.redtx.api.RedtxNonTransientException;

/**
 * The consumer group does not exist on the stream (Redis replied {@code NOGROUP}): create it with {@code XGROUP
 * CREATE}, or let the consumer do it ({@link ConsumerOptions.Builder#createGroup}).
 */
public final class NoSuchGroupException extends RedtxNonTransientException {

    private static final long serialVersionUID = 1L;

    private final String participant;
    private final String stream;
    private final String group;

    /**
     * @param participant the participant holding the stream
     * @param stream the stream's key
     * @param group the group that does not exist
     */
    public NoSuchGroupException(String participant, String stream, String group) {
        super(
                "consumer group '" + group + "' does not exist on stream '" + stream + "' of participant '"
                        + participant + "'",
                null,
                null);
        this.participant = participant;
        this.stream = stream;
        this.group = group;
    }

    /** @return the participant holding the stream */
    public String participant() {
        return participant;
    }

    /** @return the stream's key */
    public String stream() {
        return stream;
    }

    /** @return the group that does not exist */
    public String group() {
        return group;
    }
}
