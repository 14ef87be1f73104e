package clnet.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Packages depend downward only (docs/ARCHITECTURE.md draws the layers): a circle between
 * any two packages of the main code fails here, as does an API package that imports its
 * own implementations.
 */
class PackageRulesTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("clnet");
    }

    @Test
    void noPackageCircles() {
        // every package is its own slice, subpackages included (backend and backend.cpu are two)
        slices().matching("clnet.(**)").should().beFreeOfCycles().check(main);
    }

    @Test
    void theBackendApiDoesNotKnowItsImplementations() {
        noClasses().that().resideInAPackage("clnet.backend")
                .should().dependOnClassesThat().resideInAnyPackage("clnet.backend.cpu..", "clnet.backend.opencl..")
                .check(main);
    }

    @Test
    void theTrainingLoopDoesNotKnowTheModels() {
        noClasses().that().resideInAPackage("clnet.train..")
                .should().dependOnClassesThat().resideInAnyPackage("clnet.nn..", "clnet.io..", "clnet.cli..")
                .check(main);
    }

    @Test
    void theLowestLayersStayLow() {
        noClasses().that().resideInAnyPackage("clnet.tensor..", "clnet.ops..")
                .should().dependOnClassesThat().resideInAnyPackage("clnet.backend..", "clnet.nn..", "clnet.train..",
                        "clnet.optim..", "clnet.io..", "clnet.cli..", "clnet.device..", "clnet.verify..", "clnet.data..")
                .check(main);
    }
}
