// OWL 2 DL profile check with the OWL API bundled in owlready2's HermiT.jar (OWL API 3.4).
// Run (needs a JDK for the single-file source launcher):
//   java -cp <owlready2>/hermit/HermiT.jar ontology/checks/ProfileCheck.java FILE.owl
// Prints one line per violation and exits 1 if there is any, 0 if the ontology is in OWL 2 DL.
// justicegraph/reasoning/ontology_checks.py runs it on the merged ontology, vocabulary and sample data.

import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.profiles.OWLProfileReport;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;

public class ProfileCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
        OWLProfileReport report = new org.semanticweb.owlapi.profiles.OWL2DLProfile().checkOntology(ontology);
        for (OWLProfileViolation violation : report.getViolations()) {
            System.out.println("VIOLATION " + violation.toString().replace('\n', ' '));
        }
        System.out.println("axioms " + ontology.getAxiomCount() + ", violations " + report.getViolations().size());
        System.exit(report.isInProfile() ? 0 : 1);
    }
}
