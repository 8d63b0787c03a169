package dev.faultline.security;

import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.HttpSecurityPolicy;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Checks every HTTP request against {@link Access} when tokens are required: a caller without a token is answered
 * 401 (with the bearer challenge), one without the role 403. Permits everything in the open local run. A policy
 * without a name applies to every request.
 */
@ApplicationScoped
public class RolePolicy implements HttpSecurityPolicy {

    @Inject
    AccessMode mode;

    @Override
    public Uni<CheckResult> checkPermission(
            RoutingContext request, Uni<SecurityIdentity> identity, AuthorizationRequestContext context) {
        if (!mode.tokensRequired()) {
            return CheckResult.permit();
        }
        Access access = Access.of(request.request().method().name(), request.normalizedPath());
        if (access == Access.OPEN) {
            return CheckResult.permit();
        }
        return identity.map(
                id -> !id.isAnonymous() && access.allows(id.getRoles()) ? CheckResult.PERMIT : CheckResult.DENY);
    }
}
