package io.glareresolver.glare.impl.pbx;

import io.glareresolver.glare.pbx.PbxStatus;
import org.osgi.service.component.annotations.Component;

/**
 * The {@link PbxStatus} service, shared by the FastAGI and AMI components (they reference this
 * class). Always present, so the console can show the PBX counters (0 when nothing is configured).
 */
@Component(service = {PbxStatus.class, PbxStatusComponent.class})
public final class PbxStatusComponent extends PbxCrossingLog {
}
