package dev.faultline.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A build without the embedded stack ({@code -Pprod}: kafka_2.13, the SmallRye companion and embedded-redis left out
 * of the app): {@link LocalServices} is loaded in a class loader that cannot see those libraries, as in the
 * production image. With Kafka and Redis configured it starts nothing and touches none of their classes; with one
 * missing it fails with a message naming the setting.
 */
class EmbeddedAbsentTest {

    /** Hides the embedded libraries and loads this package's classes itself, so they link against what it sees. */
    static final class WithoutEmbeddedStack extends ClassLoader {
        private static final List<String> HIDDEN =
                List.of("kafka.", "scala.", "redis.embedded.", "io.smallrye.reactive.messaging.kafka.companion.");

        WithoutEmbeddedStack() {
            super(EmbeddedAbsentTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (HIDDEN.stream().anyMatch(name::startsWith)) {
                    throw new ClassNotFoundException(name + " (left out of this build)");
                }
                if (!name.startsWith("dev.faultline.embedded.") || name.contains("Test")) {
                    return super.loadClass(name, resolve);
                }
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        if (in == null) {
                            throw new ClassNotFoundException(name);
                        }
                        byte[] bytes = in.readAllBytes();
                        c = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }

    private static Object startMissing(ClassLoader loader, Map<String, String> env, Map<String, String> props)
            throws Throwable {
        Class<?> local = loader.loadClass(LocalServices.class.getName());
        assertThat(local.getClassLoader()).isSameAs(loader);
        Method m = local.getMethod("startMissing", Function.class, Function.class);
        try {
            return m.invoke(null, (Function<String, String>) env::get, (Function<String, String>) props::get);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void theLoaderReallyHidesTheBrokerAndRedis() throws Exception {
        ClassLoader loader = new WithoutEmbeddedStack();
        Class<?> local = loader.loadClass(LocalServices.class.getName());
        assertThat(local.getMethod("kafkaAvailable").invoke(null)).isEqualTo(false);
        assertThat(local.getMethod("redisAvailable").invoke(null)).isEqualTo(false);
        assertThat(LocalServices.kafkaAvailable())
                .as("the test class path has them")
                .isTrue();
        assertThat(LocalServices.redisAvailable()).isTrue();
    }

    @Test
    void externalKafkaAndRedisNeedNoEmbeddedClasses() throws Throwable {
        Object local = startMissing(
                new WithoutEmbeddedStack(),
                Map.of(LocalServices.KAFKA_ENV, "kafka:9092"),
                Map.of(LocalServices.REDIS_PROPERTY, "redis://redis:6379"));
        assertThat(local.getClass().getMethod("startedAnything").invoke(local)).isEqualTo(false);
        assertThat((Map<?, ?>) local.getClass().getMethod("config").invoke(local))
                .isEmpty();
        local.getClass().getMethod("close").invoke(local);
    }

    @Test
    void missingKafkaFailsNamingTheSetting() {
        Throwable t = catchThrowable(() -> startMissing(
                new WithoutEmbeddedStack(), Map.of(), Map.of(LocalServices.REDIS_PROPERTY, "redis://redis:6379")));
        assertThat(t)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(LocalServices.KAFKA_ENV)
                .hasMessageContaining("-Pprod");
    }

    @Test
    void theServeCommandIsToldBeforeAnythingStarts() throws Exception {
        Class<?> local = new WithoutEmbeddedStack().loadClass(LocalServices.class.getName());
        Method check = local.getMethod("cannotStartMissing", Function.class, Function.class);
        Map<String, String> both = Map.of(LocalServices.KAFKA_ENV, "kafka:9092", LocalServices.REDIS_ENV, "redis://r");
        assertThat(check.invoke(null, (Function<String, String>) both::get, (Function<String, String>) k -> null))
                .isNull();
        assertThat((String)
                        check.invoke(null, (Function<String, String>) k -> null, (Function<String, String>) k -> null))
                .contains(LocalServices.KAFKA_ENV);
        assertThat(LocalServices.cannotStartMissing(k -> null, k -> null))
                .as("with the embedded stack")
                .isNull();
    }

    @Test
    void missingRedisFailsNamingTheSetting() {
        Throwable t = catchThrowable(() ->
                startMissing(new WithoutEmbeddedStack(), Map.of(LocalServices.KAFKA_ENV, "kafka:9092"), Map.of()));
        assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining(LocalServices.REDIS_ENV);
    }

    private static Throwable catchThrowable(ThrowingCall call) {
        try {
            call.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Throwable;
    }
}
