package io.redtx.api;

/**
 * Reads and buffered writes on one named participant, inside one transaction ({@link Transaction#on(String)}). What
 * every command does, and the errors it signals, is described on {@link KeyCommands}.
 */
public interface TransactionCommands extends KeyCommands {

    /** @return the participant these commands address */
    String participant();
}
