package io.redtx.relay.rabbitmq;

import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/** The invocations of a {@link BrokerTest}: one per broker, each resolving its own {@link TestBroker}. */
final class BrokerInvocations implements TestTemplateInvocationContextProvider {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(BrokerInvocations.class);

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return true;
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        Optional<String> external = ExternalRabbitBroker.configuredUri();
        return Stream.of(
                invocation("embedded Qpid Broker-J", Optional.empty(), () -> {
                    try {
                        return EmbeddedQpidBroker.start(Files.createTempDirectory("redtx-qpid"));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }),
                invocation(
                        "RabbitMQ",
                        external.isPresent()
                                ? Optional.empty()
                                : Optional.of("no RabbitMQ: set " + ExternalRabbitBroker.URI_VARIABLE
                                        + " (e.g. amqp://guest:guest@127.0.0.1:5672), or install and start"
                                        + " rabbitmq-server on this machine"),
                        () -> ExternalRabbitBroker.of(external.orElseThrow())));
    }

    private static TestTemplateInvocationContext invocation(
            String name, Optional<String> skipReason, Supplier<TestBroker> broker) {
        return new TestTemplateInvocationContext() {
            @Override
            public String getDisplayName(int invocationIndex) {
                return name;
            }

            @Override
            public List<Extension> getAdditionalExtensions() {
                return List.of(
                        (ExecutionCondition) context -> skipReason
                                .map(ConditionEvaluationResult::disabled)
                                .orElseGet(() -> ConditionEvaluationResult.enabled(name)),
                        new ParameterResolver() {
                            @Override
                            public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
                                return p.getParameter().getType() == TestBroker.class;
                            }

                            @Override
                            public Object resolveParameter(ParameterContext p, ExtensionContext c) {
                                TestBroker started = broker.get();
                                // Closed by JUnit when the invocation ends, passed or failed.
                                c.getStore(NAMESPACE).put(p.getIndex(), (AutoCloseable) started::close);
                                return started;
                            }
                        });
            }
        };
    }
}
