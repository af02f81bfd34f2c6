"""The closed vocabularies of CBV 2.0 (and the GS1 Web Vocabulary's sensor terms), as bare words.

EPCIS 2.0 JSON writes a standard value as its bare word (``shipping``) and anything else as a
URI of the business's own; the event hash, the pages and the checks below all read these lists.
"""

from __future__ import annotations

import difflib
import re
from typing import Final


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BIZ_STEPS: Final = _words(
    "accepting arriving assembling collecting commissioning consigning creating_class_instance"
    " cycle_counting decommissioning departing destroying disassembling dispensing encoding"
    " entering_exiting holding inspecting installing killing loading other packing picking"
    " receiving removing repackaging repairing replacing reserving retail_selling sampling"
    " sensor_reporting shipping staging_outbound stock_taking stocking storing transporting"
    " unloading unpacking void_shipping"
)
DISPOSITIONS: Final = _words(
    "active available completeness_verified completeness_inferred conformant container_closed"
    " container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit"
    " inactive mismatch_instance mismatch_class mismatch_quantity needs_replacement"
    " no_pedigree_match non_conformant non_sellable_other partially_dispensed recalled reserved"
    " retail_sold returned sellable_accessible sellable_not_accessible stolen unavailable unknown"
)
SOURCE_DEST_TYPES: Final = _words("owning_party possessing_party location")
BIZ_TRANSACTION_TYPES: Final = _words(
    "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt"
)
ERROR_REASONS: Final = _words("did_not_occur incorrect_data")
COMPONENTS: Final = _words(
    "x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle easting"
    " northing latitude longitude altitude"
)
SENSOR_ALERTS: Final = _words("ALARM_CONDITION ERROR_CONDITION")
MEASUREMENT_TYPES: Final = _words(
    "AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Radioactivity Altitude"
    " AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum"
    " AngularVelocity Area Capacitance Conductance Conductivity Count Density Dimensionless"
    " DoseEquivalent DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent"
    " ElectricCurrentDensity ElectricFieldStrength Energy Exposure Force Frequency Illuminance"
    " Inductance Irradiance KinematicViscosity Length LinearMomentum Luminance LuminousFlux"
    " LuminousIntensity MagneticFlux MagneticFluxDensity MagneticVectorPotential Mass"
    " MassConcentration MassFlowRate MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy"
    " MolarMass MolarVolume Power Pressure RadiantFlux RadiantIntensity RelativeHumidity"
    " Resistance Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension"
    " Temperature Time Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux"
    " Wavenumber"
)

# A URI in the JSON Schema's sense: a scheme, a colon, then no blank (RFC 3986, section 3).
_URI: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")
# CBV's own namespaces: a value there is written as its bare word in EPCIS 2.0 JSON, so a
# URI in them is either a word in disguise or a typo that no reader would resolve.
_CBV_NAMESPACES: Final = re.compile(r"^(urn:epcglobal:cbv|https?://ns\.gs1\.org/cbv/)")
CBV_WEB_NAMESPACE: Final = "https://ref.gs1.org/cbv/"
_WEB_VOCABULARY: Final = re.compile(r"^https?://(www\.)?gs1\.org/voc/")


def is_uri(value: object) -> bool:
    return isinstance(value, str) and bool(_URI.match(value))


def suggestion(word: str, vocabulary: frozenset[str]) -> str:
    """`` (did you mean "shipping"?)`` for a near miss, or nothing."""
    close = difflib.get_close_matches(word, sorted(vocabulary), n=1, cutoff=0.75)
    if not close:
        close = [w for w in sorted(vocabulary) if w.lower() == word.lower().replace("-", "_")]
    return f' (did you mean "{close[0]}"?)' if close else ""


def vocabulary_problem(
    value: object, vocabulary: frozenset[str], *, web_vocabulary: bool = False
) -> str | None:
    """Why ``value`` is neither a word of ``vocabulary`` nor a URI of the business's own,
    or None when it is one of them.

    ``web_vocabulary``: the vocabulary lives in the GS1 Web Vocabulary (sensor terms), whose
    namespace is then the one a URI may not use; otherwise it is CBV's.
    """
    if not isinstance(value, str):
        return "must be a CBV word or a URI"
    if value in vocabulary:
        return None
    if not is_uri(value):
        return f'"{value}" is not a CBV 2.0 term{suggestion(value, vocabulary)}'
    if not web_vocabulary and value.startswith(CBV_WEB_NAMESPACE):
        # The standard's own URI of a term (https://ref.gs1.org/cbv/BizStep-shipping): the
        # term must exist, or the URI is a typo no reader resolves.
        word = value[len(CBV_WEB_NAMESPACE) :].partition("-")[2]
        if word in vocabulary:
            return None
        return f"{value} names no CBV 2.0 term{suggestion(word, vocabulary)}"
    reserved = _WEB_VOCABULARY if web_vocabulary else _CBV_NAMESPACES
    if reserved.match(value):
        word = re.split(r"[:#/-]", value)[-1]
        hint = f'; write the bare word "{word}"' if word in vocabulary else ""
        return (
            f"{value} is in the standard's own namespace:"
            f" EPCIS 2.0 JSON writes its terms bare{hint}"
        )
    return None
