package io.redtx.testing;

/**
 * Ties a {@link RedtxServers} to the JUnit context that asked for it: closing the scope (JUnit does, when that context
 * ends) closes the runtimes created through it. A separate type so that {@link RedtxServers} itself is not
 * {@link AutoCloseable} in the public API.
 */
final class RuntimeScope implements AutoCloseable {

    private final ServerGroup group;
    private final RedtxServers servers;

    RuntimeScope(ServerGroup group, String description) {
        this.group = group;
        this.servers = new RedtxServers(group, description);
        group.opened(this);
    }

    RedtxServers servers() {
        return servers;
    }

    @Override
    public void close() {
        try {
            servers.closeRuntimes();
        } finally {
            group.closed(this);
        }
    }
}
