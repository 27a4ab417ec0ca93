package io.redtx.cli;

/** A command line or configuration the program cannot use: exit status {@link RedtxCli#USAGE}. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
