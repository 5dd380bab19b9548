/**
 * Every device family's configure-time steps, registered by importing their
 * modules here, once.
 */
import './crunch-step';
import './fat-image-step';
import './archive-image-step';
